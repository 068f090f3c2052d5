import { z } from "zod";
import { goDurationSeconds, pauseDurationSeconds } from "../lib/duration";
import { labelKeyProblem } from "../lib/naming";
import { NOTIFICATION_TRIGGER_NAMES, NOTIFICATION_TRIGGERS, SLACK_SERVICE } from "../lib/notifications";
import { ANALYSIS_TEMPLATE_NAMES, CanaryStep } from "../lib/rolloutStrategy";
import { movedToAppMetrics } from "./appMetrics";
import { dnsLabel, dnsName, dnsSubdomain, exactlyOneOf, goDuration, MAX_INT32, replicaCount } from "./primitives";

/**
 * `environment`: makes the stack a long-lived environment whose services run as Argo Rollouts.
 * Everything the Argo Rollouts controller would only reject once a Rollout is applied (or, worse,
 * accept and then act on surprisingly) is rejected here, at preview, with its full key.
 */

const wholeNumber = (min: number, expected: string) => z.int({ error: `expected a whole number: ${expected}` })
    .min(min, { error: `expected ${expected}` })
    .max(MAX_INT32, { error: `expected ${expected}, at most ${MAX_INT32} (the controller reads a 32-bit number)` });

const weight = z.int({ error: "expected a whole-number weight from 0 to 100" })
    .min(0, { error: "expected a weight from 0 to 100 (percent of the service on the canary)" })
    .max(100, { error: "expected a weight from 0 to 100 (percent of the service on the canary)" });

const intOrPercent = z.union([z.number(), z.string()], { error: "expected a whole number of pods or a percentage such as 25%" })
    .refine((value) => {
        const amount = typeof value === "number" ? value : /^\d+%$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
        return Number.isInteger(amount) && amount >= 0 && amount <= MAX_INT32;
    }, { error: `expected a whole number of pods or a percentage such as 25%, at most ${MAX_INT32} (the controller reads a 32-bit number)` });

/** The prefix the rollouts controller puts before an additional annotation's key on the canary Ingress, unless the key has it. */
const NGINX_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io";

/** Annotations the controller writes on the canary Ingress it clones; the API server would refuse the clone over a bad key. */
const nginxCanaryAnnotations = z.record(z.string(), z.string({ error: "expected a string" })).superRefine((annotations, ctx) => {
    for (const key of Object.keys(annotations)) {
        const written = key.startsWith(NGINX_ANNOTATION_PREFIX) ? key : `${NGINX_ANNOTATION_PREFIX}/${key}`;
        const problem = labelKeyProblem(written);
        if (problem !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                message: `the controller writes this as the annotation ${written}, which the API server would refuse: ${problem}; use an NGINX annotation name such as canary-by-header`,
            });
        }
    }
});

/** A stack's name as the CLI accepts it, without organization and project: the gate's source is a stack of this project. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

const DURATION_EXAMPLES = "such as 30s, 2m, 1h or a whole number of seconds";

/** A pause as the controller reads it: whole seconds, at least one (a shorter pause does not pause). */
const pauseDuration = z.union([z.number(), z.string()], { error: `expected a duration ${DURATION_EXAMPLES}` })
    .superRefine((value, ctx) => {
        const seconds = pauseDurationSeconds(value);
        if (seconds === undefined) {
            ctx.addIssue({ code: "custom", message: `expected a duration ${DURATION_EXAMPLES}` });
        } else if (!Number.isInteger(seconds) || seconds < 1) {
            ctx.addIssue({ code: "custom", message: "the controller counts pauses in whole seconds, at least 1s; leave duration out to pause until promoted" });
        }
    });

const analysisTemplateName = z.enum(ANALYSIS_TEMPLATE_NAMES, {
    error: (issue) => `no AnalysisTemplate named ${JSON.stringify(issue.input)}; the environment has ${ANALYSIS_TEMPLATE_NAMES.join(" and ")}`,
});

const analysisRef = z.strictObject({
    templates: z.array(analysisTemplateName).min(1, { error: `expected at least one template: ${ANALYSIS_TEMPLATE_NAMES.join(" or ")}` }),
});

const canaryStep = exactlyOneOf({
    setWeight: weight,
    pause: z.strictObject({ duration: pauseDuration.optional() }),
    analysis: analysisRef,
    setCanaryScale: exactlyOneOf({
        replicas: wholeNumber(0, "0 or more replicas"),
        weight,
        matchTrafficWeight: z.literal(true, { error: "expected true; to size the canary otherwise give replicas or weight instead" }),
    }),
});

const canarySchema = z.strictObject({
    steps: z.array(canaryStep).min(1, { error: "expected at least one step, e.g. - setWeight: 20" }),
    maxSurge: intOrPercent.default("25%"),
    maxUnavailable: intOrPercent.default(0),
    scaleDownDelaySeconds: wholeNumber(0, "0 or more seconds").optional(),
    abortScaleDownDelaySeconds: wholeNumber(0, "0 or more seconds").optional(),
    dynamicStableScale: z.boolean({ error: "expected true or false" }).default(false),
    trafficRouting: exactlyOneOf({
        nginx: z.strictObject({
            additionalIngressAnnotations: nginxCanaryAnnotations.optional(),
        }),
    }).optional(),
}).superRefine((canary, ctx) => {
    checkWeightsDoNotDecrease(canary.steps, ctx);
    const routed = canary.trafficRouting !== undefined;
    const needsRouting = (path: PropertyKey[], what: string) => ctx.addIssue({
        code: "custom",
        path,
        message: `${what} needs trafficRouting (the controller refuses it with replica-ratio splitting); set trafficRouting.nginx or remove it`,
    });
    if (!routed && canary.scaleDownDelaySeconds !== undefined) {
        needsRouting(["scaleDownDelaySeconds"], "scaleDownDelaySeconds");
    }
    if (!routed && canary.dynamicStableScale) {
        needsRouting(["dynamicStableScale"], "dynamicStableScale");
    }
    if (canary.dynamicStableScale && canary.scaleDownDelaySeconds !== undefined) {
        ctx.addIssue({ code: "custom", path: ["dynamicStableScale"], message: "dynamicStableScale cannot be combined with scaleDownDelaySeconds; remove one of them" });
    }
    if (!routed) {
        canary.steps.forEach((step, index) => {
            if (isStep(step) && "setCanaryScale" in step) {
                needsRouting(["steps", index, "setCanaryScale"], "setCanaryScale");
            }
        });
    }
    if (isZero(canary.maxSurge) && isZero(canary.maxUnavailable)) {
        ctx.addIssue({ code: "custom", path: ["maxSurge"], message: "maxSurge and maxUnavailable are both 0, so no pod could ever be replaced; raise one of them" });
    }
});

/** Steps that failed to parse reach the refinement as what was given; skip those. */
function isStep(step: unknown): step is CanaryStep {
    return step !== null && typeof step === "object";
}

function isZero(value: number | string): boolean {
    return value === 0 || (typeof value === "string" && /^0+%$/.test(value));
}

/**
 * Weights only go up: a lower weight later on would move users back to the stable version in the
 * middle of a release. To go back, abort the rollout.
 */
function checkWeightsDoNotDecrease(steps: readonly CanaryStep[], ctx: z.RefinementCtx): void {
    let highest: { weight: number; index: number } | undefined;
    steps.forEach((step, index) => {
        if (!isStep(step) || !("setWeight" in step) || typeof step.setWeight !== "number") {
            return;
        }
        if (highest !== undefined && step.setWeight < highest.weight) {
            ctx.addIssue({
                code: "custom",
                path: ["steps", index, "setWeight"],
                message: `the weight drops from ${highest.weight} (steps[${highest.index}]) to ${step.setWeight}; ` +
                    "weights must not decrease (that would move users back mid-release; abort the rollout instead)",
            });
        }
        if (highest === undefined || step.setWeight >= highest.weight) {
            highest = { weight: step.setWeight, index };
        }
    });
}

const blueGreenSchema = z.strictObject({
    autoPromotionEnabled: z.boolean({ error: "expected true or false" }).default(true),
    autoPromotionSeconds: wholeNumber(1, "1 or more seconds").optional(),
    scaleDownDelaySeconds: wholeNumber(0, "0 or more seconds").default(30),
    previewReplicaCount: wholeNumber(1, "1 or more replicas").optional(),
    prePromotionAnalysis: analysisRef.optional(),
    postPromotionAnalysis: analysisRef.optional(),
}).superRefine((blueGreen, ctx) => {
    if (!blueGreen.autoPromotionEnabled && blueGreen.autoPromotionSeconds !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["autoPromotionSeconds"],
            message: "the controller ignores autoPromotionSeconds while autoPromotionEnabled is false; remove one of them",
        });
    }
});

const strategySchema = exactlyOneOf({ canary: canarySchema, blueGreen: blueGreenSchema });

const analysisSchema = z.strictObject({
    prometheusAddress: z.url({ protocol: /^https?$/, error: "expected an http(s) URL of Prometheus, such as http://prometheus-operated.monitoring.svc:9090" })
        .default("http://prometheus-operated.monitoring.svc:9090"),
    successRate: z.number({ error: "expected a fraction such as 0.99" })
        .refine((rate) => rate > 0 && rate <= 1, { error: "expected a fraction above 0 and at most 1, such as 0.99 (write 99% as 0.99)" })
        .default(0.95),
    latencyP99Ms: z.number({ error: "expected milliseconds such as 500" }).positive({ error: "expected a positive number of milliseconds" }).default(1000),
    interval: goDuration(1).default("1m"),
    count: wholeNumber(1, "1 or more measurements").default(3),
    failureLimit: wholeNumber(0, "0 or more failed measurements").default(1),
    initialDelay: goDuration(0).optional(),
    requestsMetric: movedToAppMetrics("requests"),
    statusLabel: movedToAppMetrics("statusLabel"),
    latencyMetric: movedToAppMetrics("latency"),
}).superRefine((analysis, ctx) => {
    if (analysis.failureLimit >= analysis.count) {
        ctx.addIssue({
            code: "custom",
            path: ["failureLimit"],
            message: `with failureLimit ${analysis.failureLimit} and count ${analysis.count} the analysis can never fail; lower failureLimit below count`,
        });
    }
}).transform(({ requestsMetric: _requests, statusLabel: _status, latencyMetric: _latency, ...analysis }) => analysis);

/** Namespaces that belong to the cluster or to PR stacks. */
function isReservedNamespace(name: string): boolean {
    return name === "default" || name.startsWith("kube-") || /^pr-\d+(-|$)/.test(name);
}

const RESTART_STRATEGIES = ["template", "restartAt"] as const;

/** Bounds of `progressDeadlineSeconds`: long enough for a pod to pull and start, short enough to mean something. */
export const PROGRESS_DEADLINE_BOUNDS = { min: 10, max: 86_400 } as const;

/**
 * Revisions a rollback may skip steps to: the old ReplicaSet must still exist, and each Rollout keeps
 * ProgressiveService's default `revisionHistoryLimit` of them.
 */
export const MAX_ROLLBACK_WINDOW = 5;

/** A notification service's name as the platform's `argoRollouts.notifications` defines it. */
export const notificationServiceName = z.string({ error: "expected a notification service's name, such as ops or slack" })
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a service name: lowercase letters, digits and '-'" })
    .max(63, { error: "expected at most 63 characters" });

const subscriptionSchema = z.strictObject({
    trigger: z.enum(NOTIFICATION_TRIGGER_NAMES, {
        error: (issue) => `no trigger named ${JSON.stringify(issue.input)}; the platform defines ${NOTIFICATION_TRIGGER_NAMES.join(", ")}`,
    }),
    /** A webhook's name under platform.argoRollouts.notifications.webhooks, or slack. */
    service: notificationServiceName,
    /** Slack channels, separated by `;`; a webhook takes none. */
    recipient: z.string({ error: "expected Slack channels such as releases or releases;oncall" })
        .regex(/^[^\s;]+(;[^\s;]+)*$/, { error: "expected Slack channels separated by ';' without spaces, such as releases;oncall" }).optional(),
}).superRefine((subscription, ctx) => {
    if (subscription.service === SLACK_SERVICE && subscription.recipient === undefined) {
        ctx.addIssue({ code: "custom", path: ["recipient"], message: "Slack needs a channel to post to; give recipient, e.g. releases" });
    }
    if (subscription.service !== SLACK_SERVICE && subscription.recipient !== undefined) {
        ctx.addIssue({ code: "custom", path: ["recipient"], message: `a webhook posts to its URL and takes no recipient; remove recipient, or subscribe ${SLACK_SERVICE}` });
    }
});

/** `environment.notifications`: which triggers the environment's Rollouts subscribe to, on which service. */
const notificationsSchema = z.strictObject({
    subscriptions: z.array(subscriptionSchema, {
        error: `expected a list such as [{ trigger: on-rollout-aborted, service: ops }]; triggers: ${Object.keys(NOTIFICATION_TRIGGERS).join(", ")}`,
    }).default([]),
});

export const environmentSchema = z.strictObject({
    /** Names the namespace, e.g. `dev`. */
    name: dnsLabel.refine((name) => !isReservedNamespace(name), {
        error: "the name is reserved (default and kube-* belong to the cluster, pr-<n>-* to PR stacks); choose e.g. dev or prod",
    }),
    // A missing strategy is reported like an empty one: zod stops at a missing object, which would
    // hide the stack's other problems (such as setting environment on a PR stack) until it is fixed.
    strategy: z.preprocess((value) => value ?? {}, strategySchema),
    analysis: analysisSchema.prefault({}),
    /** Replicas per service, overriding the catalogue. */
    replicas: z.record(z.string(), replicaCount).default({}),
    /** Public host; `<name>.<domain>` when unset. */
    host: dnsName.optional(),
    /**
     * How `deployedAt` restarts pods. `template` writes it into the pod template, so a restart is a
     * new revision that walks the strategy's steps (and its analysis). `restartAt` sets the Rollout's
     * spec.restartAt: the controller replaces pods in place, a few at a time, without steps.
     */
    restartStrategy: z.enum(RESTART_STRATEGIES, { error: `expected ${RESTART_STRATEGIES.join(" or ")}` }).default("template"),
    clusterIssuer: dnsSubdomain.default("letsencrypt"),
    tlsSecretName: dnsSubdomain.optional(),
    ingressClassName: dnsSubdomain.default("nginx"),
    ingressNamespace: dnsLabel.default("ingress-nginx"),
    /** Namespace of the Prometheus that scrapes the services, let in by network policy. */
    monitoringNamespace: dnsLabel.default("monitoring"),
    /** Seconds a release may go without progress (pods becoming ready) before the controller marks it Degraded; the controller's 600 unless set. */
    progressDeadlineSeconds: wholeNumber(PROGRESS_DEADLINE_BOUNDS.min, `${PROGRESS_DEADLINE_BOUNDS.min} to ${PROGRESS_DEADLINE_BOUNDS.max} seconds`)
        .max(PROGRESS_DEADLINE_BOUNDS.max, { error: `expected at most ${PROGRESS_DEADLINE_BOUNDS.max} seconds (a day); a longer deadline never fires in practice` })
        .optional(),
    /** Abort a release that misses its progress deadline: traffic back on the stable ReplicaSet. */
    progressDeadlineAbort: z.boolean({ error: "expected true or false" }).default(false),
    /** A rollback to one of the last N revisions goes straight to that revision, with no steps and no analysis. @default off */
    rollbackWindow: wholeNumber(1, `1 to ${MAX_ROLLBACK_WINDOW} revisions`)
        .max(MAX_ROLLBACK_WINDOW, { error: `expected at most ${MAX_ROLLBACK_WINDOW} revisions: each Rollout keeps ${MAX_ROLLBACK_WINDOW} old ReplicaSets, and a rollback can only skip steps to one that still exists` })
        .optional(),
    notifications: notificationsSchema.prefault({}),
    /**
     * The promotion gate: the stack (in this backend and project, e.g. `dev`) whose environment must
     * have run an image Healthy before this one takes it. @default off
     */
    promotedFrom: z.string({ error: "expected a stack name such as dev" }).regex(STACK_NAME, {
        error: "expected the name of a stack of this project, such as dev (letters, digits, '-', '_' and '.')",
    }).optional(),
}).superRefine((environment, ctx) => {
    if (environment.progressDeadlineAbort && environment.progressDeadlineSeconds === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["progressDeadlineAbort"],
            message: "an abort at the progress deadline needs the deadline: set progressDeadlineSeconds (e.g. 600), or remove progressDeadlineAbort",
        });
    }
    checkDeadlineOutlastsPromotionAnalysis(environment, ctx);
});

/**
 * The controller does not count canary pause and analysis steps, nor a blue/green pause, against
 * the progress deadline; a blue/green promotion analysis with auto-promotion runs while the clock
 * goes on, so a deadline shorter than the analysis would abort every release before it is judged.
 */
function checkDeadlineOutlastsPromotionAnalysis(
    environment: { readonly progressDeadlineSeconds?: number | undefined; readonly strategy: unknown; readonly analysis: z.output<typeof analysisSchema> },
    ctx: z.RefinementCtx,
): void {
    const deadline = environment.progressDeadlineSeconds;
    const strategy = environment.strategy as { blueGreen?: z.output<typeof blueGreenSchema> } | undefined;
    const blueGreen = strategy?.blueGreen;
    if (deadline === undefined || blueGreen === undefined || (blueGreen.prePromotionAnalysis === undefined && blueGreen.postPromotionAnalysis === undefined)) {
        return;
    }
    const { interval, count, initialDelay } = environment.analysis;
    if (typeof interval !== "string" || typeof count !== "number" || (initialDelay !== undefined && typeof initialDelay !== "string")) {
        return; // reported where it was given
    }
    const analysisSeconds = (goDurationSeconds(initialDelay ?? "0s") ?? 0) + (goDurationSeconds(interval) ?? 0) * count;
    if (deadline <= analysisSeconds) {
        ctx.addIssue({
            code: "custom",
            path: ["progressDeadlineSeconds"],
            message: `a blue/green promotion analysis takes about ${analysisSeconds}s (initialDelay + count × interval) and counts against the deadline; ` +
                `raise progressDeadlineSeconds above ${analysisSeconds}`,
        });
    }
}

export type EnvironmentConfig = z.output<typeof environmentSchema>;

/**
 * Subscriptions naming a service the stack's platform does not define, at their path below the
 * stack's config. Only a stack that holds both `environment` and `platform` can tell; the check
 * belongs to the stack schema (config/schema.ts), beside the other checks across the two keys.
 */
export function unknownSubscriptionServices(
    environment: Pick<EnvironmentConfig, "notifications">,
    knownServices: readonly string[],
): { readonly path: (string | number)[]; readonly message: string }[] {
    const known = knownServices.length === 0 ? "none (set platform.argoRollouts.notifications)" : knownServices.join(", ");
    return environment.notifications.subscriptions.flatMap((subscription, index) => knownServices.includes(subscription.service)
        ? []
        : [{
            path: ["environment", "notifications", "subscriptions", index, "service"],
            message: `no notification service named ${subscription.service} in platform.argoRollouts.notifications; known: ${known}`,
        }]);
}
