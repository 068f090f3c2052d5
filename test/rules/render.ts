/**
 * Writes the platform's alert rules, as a stack with the config defaults deploys them, to a
 * Prometheus rule file: the `rules.yaml` the promtool unit tests beside this file read
 * (scripts/rules-test.sh runs them). Usage: tsx test/rules/render.ts <rules.yaml>
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { platformSchema } from "../../config/platform";
import { platformAlertRules } from "../../lib/alertRules";
import { DEFAULT_APP_METRICS } from "../../lib/appMetrics";

/** `platform.monitoring.canaryErrorMargin` when unset, read from the schema that owns it. */
function defaultCanaryErrorMargin(): number {
    // An external Prometheus is the monitoring mode that needs no other key (helm needs a password).
    const { monitoring } = platformSchema.parse({ monitoring: { installVia: "external" } });
    if (!monitoring.enabled) {
        throw new Error("platform.monitoring is off by default; the alert rules have no default margin to render");
    }
    return monitoring.canaryErrorMargin;
}

function main(argv: readonly string[]): number {
    const out = argv[2];
    if (out === undefined || argv.length > 3) {
        console.error("usage: tsx test/rules/render.ts <rules.yaml>");
        return 2;
    }
    const { groups } = platformAlertRules({ appMetrics: DEFAULT_APP_METRICS, canaryErrorMargin: defaultCanaryErrorMargin() });
    fs.writeFileSync(out, yaml.dump({ groups }, { lineWidth: -1, noRefs: true }));
    return 0;
}

process.exitCode = main(process.argv);
