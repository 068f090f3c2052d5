import * as assert from "node:assert/strict";
import { DEFAULT_APP_METRICS } from "../../lib/appMetrics";
import { platformDashboards } from "../../lib/dashboards";
import { DashboardQuery, dashboardQueries, substituteVariables } from "../e2e/support/dashboardQueries";

/** Grafana variable syntax other than a regex back-reference such as label_replace's "$1". */
const GRAFANA_VARIABLE = /\$(?!\d)\w|\$\{|\[\[/;

/** Panels and their targets as the dashboards' JSON holds them, rows opened. */
function modelPanels() {
    return platformDashboards(DEFAULT_APP_METRICS).flatMap(({ slug, model }) =>
        (model.panels ?? []).flatMap((panel) => "panels" in panel ? panel.panels : [panel])
            .map((panel) => ({ slug, title: panel.title ?? "", targets: (panel.targets ?? []) as { refId?: string; expr?: string }[] })));
}

function modelVariables() {
    return platformDashboards(DEFAULT_APP_METRICS).flatMap(({ slug, model }) =>
        (model.templating.list ?? []).filter((variable) => variable.type === "query").map((variable) => ({ slug, name: variable.name })));
}

describe("dashboard queries", () => {
    let queries: DashboardQuery[];
    before(() => {
        queries = dashboardQueries({ variables: { namespace: "pr-7-shop-pilab-hu" } });
    });

    it("lists every target of every panel, and every query variable, once", () => {
        const fromModel = [
            ...modelPanels().flatMap(({ slug, title, targets }) => targets.map((target) => `${slug}/${title}/${target.refId}`)),
            ...modelVariables().map(({ slug, name }) => `${slug}/variable ${name}/${name}`),
        ];
        assert.ok(fromModel.length >= 15, `the dashboards have ${fromModel.length} queries`);
        assert.deepEqual(queries.map((q) => `${q.dashboard}/${q.panel}/${q.refId}`).sort(), fromModel.sort());
    });

    it("covers every panel of every dashboard", () => {
        const panels = new Set(modelPanels().map(({ slug, title }) => `${slug}/${title}`));
        assert.deepEqual(new Set(queries.filter((q) => !q.panel.startsWith("variable ")).map((q) => `${q.dashboard}/${q.panel}`)), panels);
    });

    it("leaves no Grafana variable in any expression", () => {
        for (const { dashboard, panel, refId, expr } of queries) {
            assert.doesNotMatch(expr, GRAFANA_VARIABLE, `${dashboard}/${panel}/${refId}`);
        }
        assert.ok(queries.some((q) => q.expr.includes('"$1"')), "label_replace back-references stay");
    });

    it("puts the namespace given where $namespace was and All (.*) for the variables not given", () => {
        const raw = modelPanels().flatMap(({ targets }) => targets.map((target) => target.expr ?? ""));
        const withNamespace = raw.filter((expr) => expr.includes("$namespace")).length;
        assert.ok(withNamespace > 0);
        assert.equal(queries.filter((q) => !q.panel.startsWith("variable ") && q.expr.includes('namespace=~"pr-7-shop-pilab-hu"')).length, withNamespace);
        const rollouts = queries.find((q) => q.panel === "Canary step");
        assert.match(rollouts?.expr ?? "", /rollout=~"\.\*"/);
        assert.ok(queries.every((q) => !/\[\$?__rate_interval\]/.test(q.expr)) && queries.some((q) => q.expr.includes("[1m]")));
    });

    it("escapes regex characters of a value, as Grafana does for a multi-value variable", () => {
        const [first] = dashboardQueries({ variables: { namespace: "a.b" } }).filter((q) => q.panel === "Canary step");
        assert.match(first?.expr ?? "", /namespace=~"a\\\\\.b"/);
    });

    it("turns label_values variable queries into PromQL listing the same values", () => {
        assert.deepEqual(queries.filter((q) => q.dashboard === "golden-signals" && q.panel.startsWith("variable ")).map((q) => q.expr), [
            `count by (namespace) (${DEFAULT_APP_METRICS.requests})`,
            `count by (job) (${DEFAULT_APP_METRICS.requests}{namespace=~"pr-7-shop-pilab-hu"})`,
        ]);
    });

    it("throws on a variable it has no value for", () => {
        assert.throws(() => substituteVariables("rate(x[$__interval_ms])", { __interval: "15s" }, "here"), /here: no value for \$__interval_ms/);
        assert.throws(() => substituteVariables('x{a="${team}"}', {}, "here"), /no value for \$\{team\}/);
        assert.equal(substituteVariables('label_replace(x, "y", "$1", "z", "(.+)$")', {}, "here"), 'label_replace(x, "y", "$1", "z", "(.+)$")');
    });
});
