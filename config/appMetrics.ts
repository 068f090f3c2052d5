import { z } from "zod";
import { AppMetrics, DEFAULT_APP_METRICS } from "../lib/appMetrics";

/**
 * `appMetrics`: how the services report HTTP traffic, read by the AnalysisTemplates, the dashboards
 * and the alert rules alike (lib/appMetrics.ts). One key, so an analysis cannot query a counter the
 * dashboards never show, or the reverse.
 */
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: "expected a Prometheus metric name such as http_requests_total" });
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: "expected a Prometheus label name such as code" })
    .refine((label) => !label.startsWith("__"), { error: "names starting with __ are reserved for Prometheus' own use" });

export const appMetricsSchema = z.strictObject({
    requests: metricName.default(DEFAULT_APP_METRICS.requests),
    statusLabel: labelName.default(DEFAULT_APP_METRICS.statusLabel),
    latency: metricName
        .refine((name) => !/_(bucket|sum|count)$/.test(name), { error: "expected the histogram's name without _bucket, _sum or _count, such as http_request_duration_seconds" })
        .default(DEFAULT_APP_METRICS.latency),
}).superRefine((metrics, ctx) => {
    if (metrics.requests === metrics.latency) {
        ctx.addIssue({ code: "custom", path: ["latency"], message: `the latency histogram cannot share the request counter's name ${metrics.requests}` });
    }
}).prefault({}) satisfies z.ZodType<AppMetrics, unknown>;

/**
 * Where the metric names used to be set (`environment.analysis.requestsMetric`, ...,
 * `platform.monitoring.appMetrics`): refused with the key that replaced them, rather than read and
 * possibly disagreeing with it.
 */
export function movedToAppMetrics(field?: keyof AppMetrics) {
    const target = `rollout-stacks:appMetrics${field === undefined ? "" : `.${field}`}`;
    return z.undefined({
        error: `moved to ${target}, the one definition the analysis, the dashboards and the alerts share; ` +
            `set it there (pulumi config set --path ${target.replace("rollout-stacks:", "")} ...) and remove this key`,
    }).optional();
}
