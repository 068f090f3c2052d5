/**
 * From a validated delivery strategy to the Argo Rollouts `spec.strategy` of one service. Pure, so it
 * is testable without mocks; the durations it carries are read by ./duration.
 */
import { BlueGreenStrategySpec, CanaryStepSpec, CanaryStrategySpec, RolloutAnalysisSpec, RolloutStrategySpec } from "./argoTypes";
import type { PauseDuration } from "./duration";

/** The AnalysisTemplates every environment has (components/analysisTemplates.ts); steps may name only these. */
export const ANALYSIS_TEMPLATE_NAMES = ["success-rate", "latency-p99"] as const;
export type AnalysisTemplateName = (typeof ANALYSIS_TEMPLATE_NAMES)[number];

/** Template arguments: the service to measure, and the pod-template hash of the ReplicaSet to measure. */
export const SERVICE_NAME_ARG = "service-name";
export const POD_TEMPLATE_HASH_ARG = "pod-template-hash";

/** The pod label the controller puts on each ReplicaSet's pods, and its name once Prometheus scrapes it. */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";
export const POD_TEMPLATE_HASH_METRIC_LABEL = "rollouts_pod_template_hash";

/** A whole number, or a percentage such as `25%`, as maxSurge and maxUnavailable take them. */
export type IntOrPercent = number | string;

export interface AnalysisRef {
    readonly templates: readonly AnalysisTemplateName[];
}

export type CanaryScale =
    | { readonly replicas: number }
    | { readonly weight: number }
    | { readonly matchTrafficWeight: true };

export type CanaryStep =
    | { readonly setWeight: number }
    /** A pause of `duration`. @default until someone promotes the rollout */
    | { readonly pause: { readonly duration?: PauseDuration } }
    | { readonly analysis: AnalysisRef }
    | { readonly setCanaryScale: CanaryScale };

export interface NginxTrafficRouting {
    /** Extra annotations on the canary Ingress the controller clones, e.g. `canary-by-header`. @default none */
    readonly additionalIngressAnnotations?: Readonly<Record<string, string>>;
}

export interface CanaryStrategy {
    readonly steps: readonly CanaryStep[];
    readonly maxSurge: IntOrPercent;
    readonly maxUnavailable: IntOrPercent;
    /** Seconds the old ReplicaSet keeps running after a traffic-routed promotion. @default the controller's own (30) */
    readonly scaleDownDelaySeconds?: number;
    /** Seconds the canary keeps running after an abort under traffic routing. @default the controller's own (30) */
    readonly abortScaleDownDelaySeconds?: number;
    readonly dynamicStableScale: boolean;
    /** Exact weights through the ingress controller. @default none: the split is by replica ratio, as plain Services give */
    readonly trafficRouting?: { readonly nginx: NginxTrafficRouting };
}

export interface BlueGreenStrategy {
    readonly autoPromotionEnabled: boolean;
    /** Promote this long after the pause begins. @default promote as soon as the preview is ready */
    readonly autoPromotionSeconds?: number;
    readonly scaleDownDelaySeconds: number;
    /** Preview pods before promotion. @default the full replica count */
    readonly previewReplicaCount?: number;
    /** Analysis of the preview before the switch. @default none */
    readonly prePromotionAnalysis?: AnalysisRef;
    /** Analysis after the switch; a failure switches back. @default none */
    readonly postPromotionAnalysis?: AnalysisRef;
}

/** The strategy of an environment's Rollouts: exactly one of the two. */
export type DeliveryStrategy = { readonly canary: CanaryStrategy } | { readonly blueGreen: BlueGreenStrategy };

export type StrategyKind = "canary" | "blueGreen";

export function strategyKind(strategy: DeliveryStrategy): StrategyKind {
    return "canary" in strategy ? "canary" : "blueGreen";
}

/** The Services of a canary Rollout. `root` selects every pod, so clients of it split by replica ratio. */
export interface CanaryServiceNames {
    readonly root: string;
    readonly stable: string;
    readonly canary: string;
    readonly metrics: string;
}

/** The Services of a blue/green Rollout. `active` is named after the service: clients call it. */
export interface BlueGreenServiceNames {
    readonly active: string;
    readonly preview: string;
    readonly metrics: string;
}

/**
 * The Services a Rollout works with, by role. The one named after the service is what clients call.
 * `metrics` is headless and selects every pod, for Prometheus; the controller rewrites the
 * selectors of stable, canary, active and preview to pin them to one ReplicaSet.
 */
export type RolloutServiceNames = ({ readonly kind: "canary" } & CanaryServiceNames) | ({ readonly kind: "blueGreen" } & BlueGreenServiceNames);

function canaryServiceNames(service: string): CanaryServiceNames {
    return { root: service, stable: `${service}-stable`, canary: `${service}-canary`, metrics: `${service}-metrics` };
}

function blueGreenServiceNames(service: string): BlueGreenServiceNames {
    return { active: service, preview: `${service}-preview`, metrics: `${service}-metrics` };
}

export function rolloutServiceNames(service: string, strategy: DeliveryStrategy): RolloutServiceNames {
    return "canary" in strategy
        ? { kind: "canary", ...canaryServiceNames(service) }
        : { kind: "blueGreen", ...blueGreenServiceNames(service) };
}

/**
 * The Service the public Ingress routes to: with NGINX traffic routing the stable Service (the
 * controller clones the Ingress onto the canary Service and weights the clone), otherwise the one
 * named after the service.
 */
export function ingressBackend(service: string, strategy: DeliveryStrategy): string {
    return "canary" in strategy && strategy.canary.trafficRouting !== undefined ? canaryServiceNames(service).stable : service;
}

/**
 * The analysis of one service: the named templates, told which service to query and to measure the
 * newest ReplicaSet only (the canary, or the blue/green preview), so stable pods cannot mask it.
 */
export function analysisFor(service: string, ref: AnalysisRef): RolloutAnalysisSpec {
    return {
        templates: ref.templates.map((templateName) => ({ templateName })),
        args: [
            { name: SERVICE_NAME_ARG, value: service },
            { name: POD_TEMPLATE_HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } },
        ],
    };
}

function canaryStep(service: string, step: CanaryStep): CanaryStepSpec {
    if ("setWeight" in step) {
        return { setWeight: step.setWeight };
    }
    if ("pause" in step) {
        return { pause: step.pause.duration === undefined ? {} : { duration: step.pause.duration } };
    }
    if ("analysis" in step) {
        return { analysis: analysisFor(service, step.analysis) };
    }
    return { setCanaryScale: { ...step.setCanaryScale } };
}

function canarySpec(service: string, canary: CanaryStrategy): CanaryStrategySpec {
    const names = canaryServiceNames(service);
    const nginx = canary.trafficRouting?.nginx;
    return {
        stableService: names.stable,
        canaryService: names.canary,
        maxSurge: canary.maxSurge,
        maxUnavailable: canary.maxUnavailable,
        steps: canary.steps.map((step) => canaryStep(service, step)),
        ...(canary.scaleDownDelaySeconds === undefined ? {} : { scaleDownDelaySeconds: canary.scaleDownDelaySeconds }),
        ...(canary.abortScaleDownDelaySeconds === undefined ? {} : { abortScaleDownDelaySeconds: canary.abortScaleDownDelaySeconds }),
        ...(canary.dynamicStableScale ? { dynamicStableScale: true } : {}),
        // The Ingress of a service is named after it, so each Rollout clones only its own: ingress-nginx
        // allows one canary Ingress per host and path, so Rollouts must not share a stable Ingress.
        ...(nginx === undefined ? {} : {
            trafficRouting: {
                nginx: {
                    stableIngress: service,
                    ...(nginx.additionalIngressAnnotations === undefined ? {} : { additionalIngressAnnotations: { ...nginx.additionalIngressAnnotations } }),
                },
            },
        }),
    };
}

function blueGreenSpec(service: string, blueGreen: BlueGreenStrategy): BlueGreenStrategySpec {
    const names = blueGreenServiceNames(service);
    return {
        activeService: names.active,
        previewService: names.preview,
        autoPromotionEnabled: blueGreen.autoPromotionEnabled,
        scaleDownDelaySeconds: blueGreen.scaleDownDelaySeconds,
        ...(blueGreen.autoPromotionSeconds === undefined ? {} : { autoPromotionSeconds: blueGreen.autoPromotionSeconds }),
        ...(blueGreen.previewReplicaCount === undefined ? {} : { previewReplicaCount: blueGreen.previewReplicaCount }),
        ...(blueGreen.prePromotionAnalysis === undefined ? {} : { prePromotionAnalysis: analysisFor(service, blueGreen.prePromotionAnalysis) }),
        ...(blueGreen.postPromotionAnalysis === undefined ? {} : { postPromotionAnalysis: analysisFor(service, blueGreen.postPromotionAnalysis) }),
    };
}

/** `spec.strategy` of the Rollout of `service`, with the Services of {@link rolloutServiceNames}. */
export function rolloutStrategy(service: string, strategy: DeliveryStrategy): RolloutStrategySpec {
    return "canary" in strategy
        ? { canary: canarySpec(service, strategy.canary) }
        : { blueGreen: blueGreenSpec(service, strategy.blueGreen) };
}
