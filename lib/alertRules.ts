import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { AppMetrics } from "./appMetrics";
import {
    ABORTED_PHASE, DEGRADED_PHASES, errorRatio, KUBE_CONTAINER_WAITING, KUBE_NAMESPACE_LABELS, kubeStateLabel, PR_NAMESPACE_LABEL,
    requestRate, ROLLOUT_INFO,
} from "./rolloutMetrics";

/** The PrometheusRule spec; typed by the prometheus-operator CRD so a misspelt field fails to compile. */
export type PrometheusRuleSpec = IPrometheusRule["spec"];

export type Severity = "critical" | "warning";

export interface AlertRulesArgs {
    readonly appMetrics: AppMetrics;
    /** How far the canary's error ratio may exceed the stable's before the alert fires, e.g. 0.01. */
    readonly canaryErrorMargin: number;
}

/** Alert names, so tests, runbooks and routes name the same thing. */
export const ALERTS = {
    rolloutAborted: "RolloutAborted",
    rolloutDegraded: "RolloutDegraded",
    canaryErrorRate: "CanaryErrorRateAboveStable",
    prCrashLooping: "PrEnvironmentPodCrashLooping",
} as const;

/**
 * The platform's alerts: a Rollout aborted or stuck, a canary failing more than its stable version,
 * and a PR environment whose pods crash-loop (labelled with the PR number for the PR's authors).
 */
export function platformAlertRules(args: AlertRulesArgs): PrometheusRuleSpec {
    const rollout = "{{ $labels.namespace }}/{{ $labels.name }}";
    const canaryRatio = errorRatio(args.appMetrics, "canary");
    const stableRatio = errorRatio(args.appMetrics, "stable");
    const prLabel = kubeStateLabel(PR_NAMESPACE_LABEL);
    return {
        groups: [
            {
                name: "rollout-stacks.rollouts",
                rules: [
                    {
                        alert: ALERTS.rolloutAborted,
                        expr: `max by (namespace, name) (${ROLLOUT_INFO}{phase="${ABORTED_PHASE}"}) > 0`,
                        for: "1m",
                        labels: { severity: "warning" satisfies Severity },
                        annotations: {
                            summary: `Rollout ${rollout} was aborted`,
                            description: "The stable version serves all traffic again. Release a fixed image, or retry with kubectl argo rollouts retry rollout {{ $labels.name }} -n {{ $labels.namespace }}.",
                        },
                    },
                    {
                        alert: ALERTS.rolloutDegraded,
                        expr: `max by (namespace, name, phase) (${ROLLOUT_INFO}{phase=~"${DEGRADED_PHASES.join("|")}"}) > 0`,
                        for: "5m",
                        labels: { severity: "critical" satisfies Severity },
                        annotations: {
                            summary: `Rollout ${rollout} is degraded ({{ $labels.phase }})`,
                            description: "The controller cannot make progress: the spec is invalid, ReplicaSets cannot be created, or the progress deadline passed.",
                        },
                    },
                    {
                        alert: ALERTS.canaryErrorRate,
                        expr: `${canaryRatio} > on (namespace, rollout) (${stableRatio} + ${args.canaryErrorMargin}) ` +
                            `and on (namespace, rollout) ${requestRate(args.appMetrics, "canary")} > 0`,
                        for: "2m",
                        labels: { severity: "warning" satisfies Severity },
                        annotations: {
                            summary: "The canary of {{ $labels.namespace }}/{{ $labels.rollout }} fails more requests than the stable version",
                            description: `Its 5xx ratio exceeds the stable's by more than ${args.canaryErrorMargin}. Abort with kubectl argo rollouts abort {{ $labels.rollout }} -n {{ $labels.namespace }}.`,
                        },
                    },
                ],
            },
            {
                name: "rollout-stacks.pr-environments",
                rules: [
                    {
                        alert: ALERTS.prCrashLooping,
                        expr: `(max by (namespace, pod, container) (max_over_time(${KUBE_CONTAINER_WAITING}{reason="CrashLoopBackOff"}[5m])) >= 1) ` +
                            `* on (namespace) group_left (pr) max by (namespace, pr) (label_replace(${KUBE_NAMESPACE_LABELS}{${prLabel}!=""}, "pr", "$1", "${prLabel}", "(.+)"))`,
                        for: "10m",
                        labels: { severity: "warning" satisfies Severity },
                        annotations: {
                            summary: "PR {{ $labels.pr }}: {{ $labels.pod }} is crash-looping",
                            description: "Container {{ $labels.container }} in {{ $labels.namespace }} keeps restarting; check its logs and the PR's image.",
                        },
                    },
                ],
            },
        ],
    };
}
