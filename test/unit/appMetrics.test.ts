import * as assert from "node:assert/strict";
import { DEFAULT_APP_METRICS } from "../../lib/appMetrics";
import { assertConfigRejected as assertRejected } from "../support/configAssertions";
import { ProgramRun, runProgram } from "../support/program";
import { ungatedStackFileConfig } from "../support/projectConfig";

const ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/** A shop whose services export their own names: nothing of the defaults may be left anywhere. */
const SHOP_METRICS = { requests: "shop_requests_total", statusLabel: "status", latency: "shop_latency_seconds" };

/** Every PromQL expression the prod stack emits, by where it is read: analysis, alerts, dashboards. */
function queries(run: ProgramRun): Record<"analysis" | "alerts" | "dashboards", string[]> {
    return {
        analysis: run.ofType(ANALYSIS_TEMPLATE).flatMap((t) => t.inputs.spec.metrics.map((m: any) => m.provider.prometheus.query as string)),
        alerts: run.ofType(PROMETHEUS_RULE).flatMap((r) => r.inputs.spec.groups.flatMap((g: any) => g.rules.map((rule: any) => rule.expr as string))),
        dashboards: run.ofType(CONFIG_MAP).filter((c) => c.inputs.metadata.labels?.grafana_dashboard === "1")
            .flatMap((c) => Object.values(c.inputs.data as Record<string, string>))
            .flatMap((json) => [...JSON.stringify(JSON.parse(json)).matchAll(/"expr":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string)),
    };
}

function prodStack(appMetrics?: Record<string, string>): Promise<ProgramRun> {
    const { imageTag, environment, platform } = ungatedStackFileConfig("prod");
    const monitoring = { ...(platform as any).monitoring, grafanaAdminPassword: "correct-horse-battery" };
    return runProgram({
        stack: "prod",
        config: { imageTag, environment, platform: { ...(platform as any), monitoring }, ...(appMetrics === undefined ? {} : { appMetrics }) },
        secretKeys: ["platform"],
    });
}

describe("appMetrics: one definition of the services' metrics", () => {
    it("gives the analysis, the alerts and the dashboards the same names, the defaults when unset", async () => {
        const all = queries(await prodStack());
        const app = (expr: string) => expr.includes(DEFAULT_APP_METRICS.requests) || expr.includes(DEFAULT_APP_METRICS.latency);
        assert.ok(all.analysis.length === 2 && all.analysis.every(app), "both templates query the app metrics");
        assert.ok(all.alerts.some(app), "the canary alert queries the app metrics");
        assert.ok(all.dashboards.filter(app).length >= 3, "the golden-signal and traffic panels query the app metrics");
    });

    it("moves every query to the names under appMetrics, leaving none of the defaults", async () => {
        const all = queries(await prodStack(SHOP_METRICS));
        for (const [where, exprs] of Object.entries(all)) {
            for (const expr of exprs) {
                assert.doesNotMatch(expr, /http_requests_total|http_request_duration_seconds|code[!=]~/, `${where}: ${expr}`);
            }
        }
        assert.ok(all.analysis.some((e) => e.includes('shop_requests_total{') && e.includes('status!~"5.."')));
        assert.ok(all.analysis.some((e) => e.includes("shop_latency_seconds_bucket{")));
        assert.ok(all.alerts.some((e) => e.includes('shop_requests_total{status=~"5.."}')));
        assert.ok(all.dashboards.some((e) => e.includes("shop_requests_total")));
    });

    describe("config", () => {
        it("refuses the metric names where they used to be set, naming the key that replaced them", () => {
            assertRejected({ imageTag: "v1", environment: { name: "prod", strategy: { blueGreen: {} }, analysis: { requestsMetric: "x_total" } } },
                "rollout-stacks:environment.analysis.requestsMetric", /moved to rollout-stacks:appMetrics\.requests/, /pulumi config set --path appMetrics\.requests/);
            assertRejected({ platform: { monitoring: { installVia: "external", appMetrics: { requests: "x_total" } } } },
                "rollout-stacks:platform.monitoring.appMetrics", /moved to rollout-stacks:appMetrics,/);
        });

        it("refuses names Prometheus would not take", () => {
            assertRejected({ imageTag: "v1", environment: { name: "prod", strategy: { blueGreen: {} } }, appMetrics: { requests: "http-requests" } },
                "rollout-stacks:appMetrics.requests", /Prometheus metric name/, /given: "http-requests"/);
            assertRejected({ imageTag: "v1", environment: { name: "prod", strategy: { blueGreen: {} } }, appMetrics: { statusLabel: "__code" } },
                "rollout-stacks:appMetrics.statusLabel", /reserved/);
        });

        it("refuses a histogram named with a series suffix, which would query _bucket_bucket", () => {
            assertRejected({ imageTag: "v1", environment: { name: "prod", strategy: { blueGreen: {} } }, appMetrics: { latency: "http_request_duration_seconds_bucket" } },
                "rollout-stacks:appMetrics.latency", /without _bucket/);
        });
    });
});
