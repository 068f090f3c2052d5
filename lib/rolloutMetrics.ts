import { AppMetrics, POD_TEMPLATE_HASH_METRIC_LABEL } from "./appMetrics";

/**
 * The metrics the platform's dashboards and alerts are written against, and the PromQL over them.
 * Three sources:
 * - the Argo Rollouts controller (`rollout_info` and friends, see its controller/metrics package),
 *   scraped with `honorLabels` so `namespace` stays the Rollout's, not the controller's;
 * - kube-state-metrics: namespace labels (allow-listed below), container images, and the Rollout
 *   status fields the controller does not export (step, traffic weight, revisions), read through
 *   its custom-resource-state configuration below;
 * - the services themselves: a request counter with a status-code label and a latency histogram,
 *   named by the `appMetrics` config key (lib/appMetrics.ts), scraped by each environment's ServiceMonitor with
 *   `job` = the service's name and the pod's `rollouts_pod_template_hash` (components/progressiveService.ts).
 */

/** `rollout_info{namespace, name, strategy, traffic_router, phase}`, 1 per Rollout. */
export const ROLLOUT_INFO = "rollout_info";
export const ROLLOUT_REPLICAS_DESIRED = "rollout_info_replicas_desired";
export const ROLLOUT_REPLICAS_UPDATED = "rollout_info_replicas_updated";
export const ROLLOUT_REPLICAS_AVAILABLE = "rollout_info_replicas_available";
/** The controller's phase of an aborted Rollout: the stable version serves again. */
export const ABORTED_PHASE = "Abort";
/** Phases in which the controller cannot make progress: Argo's `Degraded`. */
export const DEGRADED_PHASES = ["Error", "Timeout", "InvalidSpec"] as const;

/** Prefix of the kube-state-metrics metrics about Rollouts; each carries `namespace` and `rollout`. */
const ROLLOUT_STATE_PREFIX = "argo_rollout";
/** `status.currentStepIndex`: the canary step the Rollout is at. */
export const ROLLOUT_STEP = `${ROLLOUT_STATE_PREFIX}_current_step`;
/** `status.canary.weights.canary.weight`: the traffic weight, present only with traffic routing. */
export const ROLLOUT_TRAFFIC_WEIGHT = `${ROLLOUT_STATE_PREFIX}_canary_weight`;
/** Info metric with `stable_hash` and `current_hash`: which ReplicaSet is stable, which is new. */
export const ROLLOUT_REVISIONS = `${ROLLOUT_STATE_PREFIX}_revision_info`;

/** kube-state-metrics' built-in series the queries read. */
export const KUBE_POD_CONTAINER_INFO = "kube_pod_container_info";
export const KUBE_NAMESPACE_LABELS = "kube_namespace_labels";
export const KUBE_CONTAINER_WAITING = "kube_pod_container_status_waiting_reason";

/** The namespace label of PR environments (components/prEnvironment.ts writes it). */
export const PR_NAMESPACE_LABEL = "rollout-stacks.io/pr";

/** kube-state-metrics' name for a Kubernetes label: `label_` and the key with every other character as `_`. */
export function kubeStateLabel(key: string): string {
    return `label_${key.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** Labels kube-state-metrics must export for the queries here (it exports none by default). */
export const KUBE_STATE_LABEL_ALLOWLIST = [`namespaces=[${PR_NAMESPACE_LABEL}]`] as const;

/** kube-state-metrics custom-resource-state configuration for the Rollout metrics above. */
export function rolloutStateMetricsConfig(): Record<string, unknown> {
    const gauge = (name: string, help: string, path: string[]) => ({ name, help, each: { type: "Gauge", gauge: { path } } });
    return {
        kind: "CustomResourceStateMetrics",
        spec: {
            resources: [{
                groupVersionKind: { group: "argoproj.io", version: "v1alpha1", kind: "Rollout" },
                metricNamePrefix: ROLLOUT_STATE_PREFIX,
                labelsFromPath: { namespace: ["metadata", "namespace"], rollout: ["metadata", "name"] },
                metrics: [
                    gauge("current_step", "Index of the canary step the Rollout is at.", ["status", "currentStepIndex"]),
                    gauge("canary_weight", "Traffic weight of the canary under traffic routing.", ["status", "canary", "weights", "canary", "weight"]),
                    {
                        name: "revision_info",
                        help: "Pod template hashes of the stable and the current ReplicaSet.",
                        each: {
                            type: "Info",
                            info: { labelsFromPath: { stable_hash: ["status", "stableRS"], current_hash: ["status", "currentPodHash"] } },
                        },
                    },
                ],
            }],
        },
    };
}

/** RBAC kube-state-metrics needs to read Rollouts. */
export const ROLLOUT_STATE_RBAC_RULES = [{ apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["list", "watch"] }] as const;

/** Which Rollouts a query covers: label matchers as PromQL regular expressions. */
export interface Scope {
    /** Matches `namespace`. @default every namespace */
    readonly namespace?: string;
    /** Matches the Rollout name. @default every Rollout */
    readonly rollout?: string;
}

function matchers(...parts: (string | undefined)[]): string {
    return `{${parts.filter((p): p is string => p !== undefined).join(", ")}}`;
}

function regexMatch(label: string, value: string | undefined): string | undefined {
    return value === undefined ? undefined : `${label}=~"${value}"`;
}

export type Role = "stable" | "canary";

/**
 * One series per ReplicaSet of the given role, `(namespace, hash, rollout)` with the pod-template
 * hash as `hash`. Stable is the Rollout's stable hash; canary the current hash when it is not the
 * stable one (after promotion both are equal and there is no canary).
 */
export function roleHashes(role: Role, scope: Scope = {}): string {
    const hashes = (hashLabel: "stable_hash" | "current_hash") =>
        `max by (namespace, hash, rollout) (label_replace(${ROLLOUT_REVISIONS}` +
        `${matchers(`${hashLabel}!=""`, regexMatch("namespace", scope.namespace), regexMatch("rollout", scope.rollout))}, ` +
        `"hash", "$1", "${hashLabel}", "(.+)"))`;
    return role === "stable" ? hashes("stable_hash") : `(${hashes("current_hash")} unless on (namespace, hash) ${hashes("stable_hash")})`;
}

/** The rate of the request counter under extra matchers, per pod-template hash, summed per Rollout of a role. */
function perRollout(app: AppMetrics, extraMatcher: string | undefined, role: Role, scope: Scope, window: string): string {
    const selector = matchers(extraMatcher, regexMatch("namespace", scope.namespace));
    const perHash = `sum by (namespace, hash) (label_replace(rate(${app.requests}${selector}[${window}]), ` +
        `"hash", "$1", "${POD_TEMPLATE_HASH_METRIC_LABEL}", "(.+)"))`;
    return `sum by (namespace, rollout) (${perHash} * on (namespace, hash) group_left (rollout) ${roleHashes(role, scope)})`;
}

/** Requests per second served by a role's pods, per Rollout. */
export function requestRate(app: AppMetrics, role: Role, scope: Scope = {}, window = "5m"): string {
    return perRollout(app, undefined, role, scope, window);
}

/** 5xx responses per second served by a role's pods, per Rollout. */
export function errorRate(app: AppMetrics, role: Role, scope: Scope = {}, window = "5m"): string {
    return perRollout(app, `${app.statusLabel}=~"5.."`, role, scope, window);
}

/**
 * Share of 5xx responses of a role, per Rollout. A service that has not failed yet may not export
 * a 5xx series at all, so a missing error rate counts as 0 rather than hiding the Rollout.
 */
export function errorRatio(app: AppMetrics, role: Role, scope: Scope = {}, window = "5m"): string {
    const requests = requestRate(app, role, scope, window);
    return `((${errorRate(app, role, scope, window)} or ${requests} * 0) / ${requests})`;
}

/**
 * `version` of each pod, `(namespace, pod, version)`: the tag or digest of the image of the
 * container named after the service (the pod template names the app container so).
 */
export function podVersions(namespace: string, service: string): string {
    return `max by (namespace, pod, version) (label_replace(${KUBE_POD_CONTAINER_INFO}${matchers(regexMatch("namespace", namespace), regexMatch("container", service))}, ` +
        `"version", "$1", "image", ".*[:@]([^:@]+)$"))`;
}

/** A per-pod expression summed by the version each pod runs. */
export function byVersion(perPod: string, namespace: string, service: string, extraBy: readonly string[] = []): string {
    const by = ["version", ...extraBy].join(", ");
    return `sum by (${by}) (${perPod} * on (namespace, pod) group_left (version) ${podVersions(namespace, service)})`;
}
