import { AppMetrics, DEFAULT_APP_METRICS } from "../../../lib/appMetrics";
import { platformDashboards } from "../../../lib/dashboards";
import type { DashboardModel } from "../../../lib/grafanaSdk";

/**
 * Every PromQL expression of the platform's Grafana dashboards, ready for an instant query against
 * Prometheus: panel targets and the queries of the dashboards' template variables, with Grafana's
 * variables replaced the way Grafana would replace them. End-to-end scenarios run them to prove the
 * dashboards show data for a real rollout.
 */

export interface DashboardQuery {
    /** The dashboard's slug, e.g. `golden-signals`. */
    readonly dashboard: string;
    /** The panel's title, or `variable <name>` for a template variable's query. */
    readonly panel: string;
    /** The target's refId; a variable's query has the variable's name. */
    readonly refId: string;
    readonly expr: string;
}

export interface QueryValues {
    /**
     * Values of the dashboards' template variables by name (`namespace`, `rollout`, `service`), each
     * matched literally: regex characters are escaped as Grafana's Prometheus data source escapes a
     * multi-value variable. A variable not given is Grafana's "All", `.*`.
     */
    readonly variables?: Readonly<Record<string, string>>;
    /** `$__rate_interval`. @default "1m" */
    readonly rateInterval?: string;
    /** `$__interval`. @default "15s" */
    readonly interval?: string;
    /** `$__range`. @default "1h" */
    readonly range?: string;
    /** The metric names the dashboards are built for. @default DEFAULT_APP_METRICS */
    readonly appMetrics?: AppMetrics;
}

/** Grafana's variable syntaxes: `$name`, `[[name]]`, `${name}` (with optional field path and format). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** As Grafana's `prometheusSpecialRegexEscape`: the value inside a PromQL string used as a regex. */
function escapeRegexValue(value: string): string {
    return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/**
 * Replaces the variables Grafana knows in `expr` and throws on any left over. A `$` followed by
 * digits is a regex back-reference (label_replace's `"$1"`), which Grafana leaves as it is too.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>, where: string): string {
    const substituted = expr.replace(VARIABLE, (match, ...groups: (string | undefined)[]) => {
        const name = groups[0] ?? groups[1] ?? groups[3] ?? "";
        return Object.prototype.hasOwnProperty.call(values, name) ? values[name]! : match;
    });
    const left = [...substituted.matchAll(VARIABLE)].filter((m) => !/^\d+$/.test(m[1] ?? m[2] ?? m[4] ?? ""));
    if (left.length > 0) {
        throw new Error(`${where}: no value for ${left.map((m) => m[0]).join(", ")} in ${substituted}`);
    }
    return substituted;
}

/** A query variable's query as PromQL: `label_values(selector, label)` lists what `count by (label)` of it does. */
function variableExpr(query: string, where: string): string {
    const labelValues = /^\s*label_values\((.+),\s*([a-zA-Z_]\w*)\s*\)\s*$/s.exec(query);
    if (labelValues !== null) {
        return `count by (${labelValues[2]}) (${labelValues[1]!.trim()})`;
    }
    const queryResult = /^\s*query_result\((.+)\)\s*$/s.exec(query);
    if (queryResult !== null) {
        return queryResult[1]!.trim();
    }
    throw new Error(`${where}: cannot turn the variable query ${JSON.stringify(query)} into PromQL`);
}

type Panels = NonNullable<DashboardModel["panels"]>;

/** Panels, with those inside rows. */
function flatPanels(panels: Panels) {
    return panels.flatMap((panel) => "panels" in panel ? panel.panels : [panel]);
}

/** Every query of {@link platformDashboards}, variables substituted (see {@link QueryValues}). */
export function dashboardQueries(options: QueryValues = {}): DashboardQuery[] {
    const queries: DashboardQuery[] = [];
    for (const { slug, model } of platformDashboards(options.appMetrics ?? DEFAULT_APP_METRICS)) {
        const templateVariables = (model.templating.list ?? []).filter((variable) => variable.type !== "datasource");
        const values: Record<string, string> = {
            __rate_interval: options.rateInterval ?? "1m",
            __interval: options.interval ?? "15s",
            __range: options.range ?? "1h",
        };
        for (const variable of templateVariables) {
            const given = options.variables?.[variable.name];
            values[variable.name] = given === undefined ? ".*" : escapeRegexValue(given);
        }
        for (const variable of templateVariables) {
            const panel = `variable ${variable.name}`;
            const where = `${slug} ${panel}`;
            const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
            if (typeof query !== "string") {
                throw new Error(`${where}: has no query`);
            }
            queries.push({ dashboard: slug, panel, refId: variable.name, expr: substituteVariables(variableExpr(query, where), values, where) });
        }
        for (const panel of flatPanels(model.panels ?? [])) {
            const title = panel.title ?? `panel ${panel.id}`;
            for (const target of (panel.targets ?? []) as { refId?: string; expr?: string }[]) {
                const refId = target.refId ?? "";
                const where = `${slug} "${title}" ${refId}`;
                if (typeof target.expr !== "string" || target.expr === "") {
                    throw new Error(`${where}: target has no PromQL expression`);
                }
                queries.push({ dashboard: slug, panel: title, refId, expr: substituteVariables(target.expr, values, where) });
            }
        }
    }
    return queries;
}
