import { POD_TEMPLATE_HASH_METRIC_LABEL } from "./rolloutStrategy";

/**
 * How the services report HTTP traffic: the one definition that the AnalysisTemplates, the
 * dashboards and the alert rules are all written against (config key `appMetrics`). Every service
 * exports a request counter labelled with the status code and a latency histogram in seconds.
 * Each environment's ServiceMonitor adds, to every series it scrapes:
 * - `job`: the service's name (its `app.kubernetes.io/name` label);
 * - `namespace`: the environment's namespace;
 * - {@link POD_TEMPLATE_HASH_METRIC_LABEL}: the pod's `rollouts-pod-template-hash`, which tells the
 *   canary's (or preview's) ReplicaSet from the stable one.
 */
export interface AppMetrics {
    /** Counter of handled requests, e.g. `http_requests_total`. */
    readonly requests: string;
    /** Label of `requests` carrying the HTTP status code, e.g. `code`. */
    readonly statusLabel: string;
    /** Latency histogram in seconds without the `_bucket` suffix, e.g. `http_request_duration_seconds`. */
    readonly latency: string;
}

/** The names the Prometheus client libraries' HTTP middlewares use by default. */
export const DEFAULT_APP_METRICS: AppMetrics = {
    requests: "http_requests_total",
    statusLabel: "code",
    latency: "http_request_duration_seconds",
};

/** The label naming the service of a series: the ServiceMonitor's job. */
export const SERVICE_METRIC_LABEL = "job";

export { POD_TEMPLATE_HASH_METRIC_LABEL };
