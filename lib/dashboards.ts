import { AppMetrics, SERVICE_METRIC_LABEL } from "./appMetrics";
import { common, dashboard, DashboardModel, prometheus, table, timeseries } from "./grafanaSdk";
import {
    byVersion, errorRatio, requestRate, ROLLOUT_INFO, ROLLOUT_REPLICAS_AVAILABLE, ROLLOUT_REPLICAS_DESIRED,
    ROLLOUT_REPLICAS_UPDATED, ROLLOUT_STEP, ROLLOUT_TRAFFIC_WEIGHT, Scope,
} from "./rolloutMetrics";

/**
 * The platform's Grafana dashboards, built with the Grafana Foundation SDK: rollout progress,
 * application golden signals by version, and the stable/canary traffic split. Pure: the Monitoring
 * component only stores what these return in ConfigMaps for Grafana's sidecar.
 */

type PanelBuilder = InstanceType<typeof timeseries.PanelBuilder> | InstanceType<typeof table.PanelBuilder>;

/** A dashboard ready for provisioning: Grafana's JSON model and the file name it is stored under. */
export interface GrafanaDashboard {
    /** File-name-safe identifier, also the ConfigMap's suffix. */
    readonly slug: string;
    readonly uid: string;
    readonly title: string;
    readonly model: DashboardModel;
}

/** Every dashboard carries this tag, so Grafana lists the platform's dashboards together. */
export const DASHBOARD_TAG = "rollout-stacks";

/** Queries go to the Prometheus data source the viewer picks, which defaults to the stack's own. */
const DATASOURCE: { type: string; uid: string } = { type: "prometheus", uid: "${datasource}" };
const RATE_WINDOW = "$__rate_interval";

/** The platform's dashboards. */
export function platformDashboards(appMetrics: AppMetrics): GrafanaDashboard[] {
    return [rolloutProgress(), goldenSignals(appMetrics), trafficSplit(appMetrics)];
}

function query(refId: string, expr: string, legend: string): InstanceType<typeof prometheus.DataqueryBuilder> {
    return new prometheus.DataqueryBuilder().refId(refId).expr(expr).legendFormat(legend).range();
}

function variables(...queries: [name: string, label: string, query: string][]) {
    const datasource = new dashboard.DatasourceVariableBuilder("datasource").label("Data source").type("prometheus");
    return [datasource, ...queries.map(([name, label, q]) => new dashboard.QueryVariableBuilder(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(q)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".*"))];
}

function graph(title: string, unit: string, ...targets: InstanceType<typeof prometheus.DataqueryBuilder>[]): InstanceType<typeof timeseries.PanelBuilder> {
    const panel = new timeseries.PanelBuilder()
        .title(title)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(12)
        .height(8)
        .lineWidth(1)
        .fillOpacity(10)
        .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).showLegend(true));
    targets.forEach((target) => panel.withTarget(target));
    return panel;
}

function build(slug: string, title: string, description: string, vars: ReturnType<typeof variables>, panels: PanelBuilder[]): GrafanaDashboard {
    const uid = `rollout-stacks-${slug}`;
    const builder = new dashboard.DashboardBuilder(title)
        .uid(uid)
        .description(description)
        .tags([DASHBOARD_TAG])
        .editable()
        .refresh("30s")
        .time({ from: "now-3h", to: "now" })
        .tooltip(dashboard.DashboardCursorSync.Crosshair)
        .variables(vars);
    // Grafana keys panel state (links, repeats, library panels) by id, so give each a stable one.
    panels.forEach((panel, index) => builder.withPanel(panel.id(index + 1)));
    return { slug, uid, title, model: builder.build() };
}

const ROLLOUT_SCOPE: Scope = { namespace: "$namespace", rollout: "$rollout" };

function rolloutProgress(): GrafanaDashboard {
    const info = `{namespace=~"$namespace", name=~"$rollout"}`;
    const state = `{namespace=~"$namespace", rollout=~"$rollout"}`;
    const phases = new table.PanelBuilder()
        .title("Phase per Rollout")
        .description("The controller's phase of each Rollout: Completed, Progressing, Paused, Abort, Timeout, Error or InvalidSpec.")
        .datasource(DATASOURCE)
        .span(24)
        .height(7)
        .withTarget(new prometheus.DataqueryBuilder().refId("A").expr(`max by (namespace, name, strategy, phase) (${ROLLOUT_INFO}${info})`)
            .format(prometheus.PromQueryFormat.Table).instant())
        .withTransformation({ id: "filterFieldsByName", options: { include: { names: ["namespace", "name", "strategy", "phase"] } } });
    return build("rollout-progress", "Rollout progress",
        "Where each Argo Rollout is: its phase, the canary step it is at, and the canary's weight.",
        variables(["namespace", "Namespace", `label_values(${ROLLOUT_INFO}, namespace)`],
            ["rollout", "Rollout", `label_values(${ROLLOUT_INFO}{namespace=~"$namespace"}, name)`]),
        [
            phases,
            graph("Canary step", "none", query("A", `max by (namespace, rollout) (${ROLLOUT_STEP}${state})`, "{{namespace}}/{{rollout}}")),
            graph("Canary weight", "percent",
                query("A", `100 * max by (namespace, name) (${ROLLOUT_REPLICAS_UPDATED}${info}) / max by (namespace, name) (${ROLLOUT_REPLICAS_DESIRED}${info})`,
                    "{{namespace}}/{{name}} (share of replicas)"),
                query("B", `max by (namespace, rollout) (${ROLLOUT_TRAFFIC_WEIGHT}${state})`, "{{namespace}}/{{rollout}} (traffic weight)")),
            graph("Replicas", "none",
                query("A", `max by (namespace, name) (${ROLLOUT_REPLICAS_DESIRED}${info})`, "{{namespace}}/{{name}} desired"),
                query("B", `max by (namespace, name) (${ROLLOUT_REPLICAS_UPDATED}${info})`, "{{namespace}}/{{name}} updated"),
                query("C", `max by (namespace, name) (${ROLLOUT_REPLICAS_AVAILABLE}${info})`, "{{namespace}}/{{name}} available")),
        ]);
}

function goldenSignals(app: AppMetrics): GrafanaDashboard {
    // The service's name: the environments' ServiceMonitors set it so (jobLabel).
    const selector = (extra = "") => `{namespace=~"$namespace", ${SERVICE_METRIC_LABEL}=~"$service"${extra}}`;
    const perPod = (metric: string, extra = "", by = "namespace, pod") =>
        `sum by (${by}) (rate(${metric}${selector(extra)}[${RATE_WINDOW}]))`;
    const versioned = (expr: string, extraBy: string[] = []) => byVersion(expr, "$namespace", "$service", extraBy);
    return build("golden-signals", "Application golden signals",
        "Traffic, errors and latency of the services, split by the image version each pod runs.",
        variables(["namespace", "Namespace", `label_values(${app.requests}, namespace)`],
            ["service", "Service", `label_values(${app.requests}{namespace=~"$namespace"}, ${SERVICE_METRIC_LABEL})`]),
        [
            graph("Request rate by version", "reqps", query("A", versioned(perPod(app.requests)), "{{version}}")),
            graph("Error ratio by version", "percentunit", query("A",
                `${versioned(perPod(app.requests, `, ${app.statusLabel}=~"5.."`))} / ${versioned(perPod(app.requests))}`, "{{version}}")),
            graph("p99 latency by version", "s", query("A",
                `histogram_quantile(0.99, ${versioned(perPod(`${app.latency}_bucket`, "", "namespace, pod, le"), ["le"])})`, "{{version}}")),
        ]);
}

function trafficSplit(app: AppMetrics): GrafanaDashboard {
    const canary = requestRate(app, "canary", ROLLOUT_SCOPE, RATE_WINDOW);
    const stable = requestRate(app, "stable", ROLLOUT_SCOPE, RATE_WINDOW);
    return build("traffic-split", "Traffic split: stable vs canary",
        "How requests divide between each Rollout's stable and canary ReplicaSets, and how each side fails.",
        variables(["namespace", "Namespace", `label_values(${ROLLOUT_INFO}, namespace)`],
            ["rollout", "Rollout", `label_values(${ROLLOUT_INFO}{namespace=~"$namespace"}, name)`]),
        [
            graph("Requests: stable vs canary", "reqps",
                query("A", stable, "{{namespace}}/{{rollout}} stable"),
                query("B", canary, "{{namespace}}/{{rollout}} canary")),
            graph("Canary share of requests", "percentunit",
                query("A", `${canary} / (${canary} + ${stable})`, "{{namespace}}/{{rollout}}")),
            graph("Error ratio: stable vs canary", "percentunit",
                query("A", errorRatio(app, "stable", ROLLOUT_SCOPE, RATE_WINDOW), "{{namespace}}/{{rollout}} stable"),
                query("B", errorRatio(app, "canary", ROLLOUT_SCOPE, RATE_WINDOW), "{{namespace}}/{{rollout}} canary")),
        ]);
}
