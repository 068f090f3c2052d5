import type { CanaryStepSpec } from "../lib/argoTypes";
import { formatDuration } from "./duration";
import { BotError, EXIT, RolloutOutcomeError } from "./errors";
import { KubeconfigSource, loadKubeConfig } from "./kubeconfig";

/**
 * Live Argo Rollouts: reading their progress and acting on them with the same patches as the
 * `kubectl argo rollouts` plugin (pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry}). The
 * patch bodies and the status logic are pure functions; the Kubernetes client sits behind
 * {@link RolloutApi} so they can be tested without a cluster.
 */

export const ROLLOUT_GROUP = "argoproj.io";
export const ROLLOUT_VERSION = "v1alpha1";
export const ROLLOUT_PLURAL = "rollouts";

/** The fields of a Rollout the bot reads; everything else passes through untouched. */
export interface Rollout {
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number };
    readonly spec?: {
        readonly paused?: boolean;
        readonly template?: { readonly spec?: { readonly containers?: readonly { readonly name: string; readonly image?: string }[] } };
        readonly strategy?: {
            readonly canary?: { readonly steps?: readonly CanaryStepSpec[] };
            readonly blueGreen?: { readonly autoPromotionEnabled?: boolean };
        };
    };
    readonly status?: RolloutStatus;
}

export interface AnalysisRunStatus {
    readonly name?: string;
    readonly status?: string;
    readonly message?: string;
}

export interface RolloutStatus {
    /** A string in the CRD (v0.9 used a hash); numeric since v0.10. */
    readonly observedGeneration?: string | number;
    readonly phase?: string;
    readonly message?: string;
    readonly abort?: boolean;
    readonly controllerPause?: boolean;
    readonly pauseConditions?: readonly { readonly reason?: string; readonly startTime?: string }[] | null;
    readonly currentStepIndex?: number;
    readonly currentPodHash?: string;
    readonly stableRS?: string;
    readonly promoteFull?: boolean;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly canary?: {
        readonly currentStepAnalysisRunStatus?: AnalysisRunStatus;
        readonly currentBackgroundAnalysisRunStatus?: AnalysisRunStatus;
    };
    readonly blueGreen?: {
        readonly prePromotionAnalysisRunStatus?: AnalysisRunStatus;
        readonly postPromotionAnalysisRunStatus?: AnalysisRunStatus;
    };
}

/**
 * JSON merge patches, split as the plugin splits them. Each is a whole patch document
 * (`{"status": {...}}`, `{"spec": {...}}`): the status one goes to the status subresource.
 */
export interface RolloutPatches {
    readonly spec?: object;
    readonly status?: object;
    /** Spec and status in one patch, for controllers older than v0.10 that have no status subresource. */
    readonly unified?: object;
}

/** `kubectl argo rollouts abort`: the controller scales the canary down and sends all traffic to stable. */
export const ABORT_PATCHES: RolloutPatches = { status: { status: { abort: true } }, unified: { status: { abort: true } } };

/** `kubectl argo rollouts retry rollout`: clears the abort, so the controller starts the steps again. */
export const RETRY_PATCHES: RolloutPatches = { status: { status: { abort: false } }, unified: { status: { abort: false } } };

/**
 * The canary step the Rollout is at, after replicasetutil.GetCurrentCanaryStep: undefined without
 * canary steps; an index past the last step when all steps are done.
 */
export function currentStepIndex(rollout: Rollout): number | undefined {
    const steps = rollout.spec?.strategy?.canary?.steps;
    if (rollout.spec?.strategy?.canary === undefined || steps === undefined || steps.length === 0) {
        return undefined;
    }
    return rollout.status?.currentStepIndex ?? 0;
}

/**
 * `kubectl argo rollouts promote [--full]`, after the plugin's getPatches. `--full` sets
 * status.promoteFull unless the Rollout already runs its desired pods. Otherwise unpause
 * (spec.paused) and clear status.pauseConditions; a canary that is not paused but running a step
 * (analysis, experiment) is moved one step on instead.
 */
export function promotePatches(rollout: Rollout, full: boolean): RolloutPatches {
    const status = rollout.status ?? {};
    if (full) {
        return status.currentPodHash !== status.stableRS ? { status: { status: { promoteFull: true } } } : {};
    }
    let patches: { spec?: object; status?: object; unified: object } = { unified: { spec: { paused: false }, status: { pauseConditions: null } } };
    if (rollout.spec?.paused === true) {
        patches = { ...patches, spec: { spec: { paused: false } } };
    }
    if ((status.pauseConditions?.length ?? 0) > 0) {
        patches = { ...patches, status: { status: { pauseConditions: null } } };
    } else if (rollout.spec?.strategy?.canary !== undefined) {
        let index = currentStepIndex(rollout);
        if (index !== undefined) {
            const steps = rollout.spec.strategy.canary.steps?.length ?? 0;
            if (index < steps) {
                index++;
            }
            patches = {
                ...patches,
                status: { status: { pauseConditions: null, currentStepIndex: index } },
                unified: { spec: { paused: false }, status: { pauseConditions: null, currentStepIndex: index } },
            };
        }
    }
    return patches;
}

/** Reads and patches Rollouts; {@link kubernetesRolloutApi} is the real one. */
export interface RolloutApi {
    get(namespace: string, name: string): Promise<Rollout>;
    list(namespace: string): Promise<Rollout[]>;
    /** A JSON merge patch (a whole patch document) of the Rollout, or of its status subresource. */
    patch(namespace: string, name: string, body: object, subresource?: "status"): Promise<Rollout>;
}

/** The error a RolloutApi raises for an HTTP status, so the plugin's NotFound fallback can be mirrored. */
export class KubernetesApiError extends Error {
    constructor(message: string, readonly statusCode: number) {
        super(message);
        this.name = "KubernetesApiError";
    }
}

/**
 * Applies patches as the plugin does: the status patch to the status subresource first; if that
 * is NotFound (no status subresource, Argo Rollouts before v0.10) the unified patch goes to the
 * Rollout itself instead; then the spec patch.
 */
export async function applyPatches(api: RolloutApi, namespace: string, name: string, patches: RolloutPatches): Promise<void> {
    let spec = patches.spec;
    if (patches.status !== undefined) {
        try {
            await api.patch(namespace, name, patches.status, "status");
        } catch (error) {
            if (!(error instanceof KubernetesApiError && error.statusCode === 404) || patches.unified === undefined) {
                throw error;
            }
            spec = patches.unified;
        }
    }
    if (spec !== undefined) {
        await api.patch(namespace, name, spec);
    }
}

/**
 * True when the controller has seen the Rollout's current spec (status.observedGeneration has
 * caught up with metadata.generation); before that, status describes the previous revision and is
 * not trusted. Without an observedGeneration the controller has not reconciled the Rollout at all.
 * A non-numeric one is a v0.9 pod-template hash, which carries no generation to compare.
 */
export function generationObserved(rollout: Rollout): boolean {
    const observed = rollout.status?.observedGeneration;
    if (observed === undefined || observed === "") {
        return false;
    }
    const numeric = typeof observed === "number" ? observed : /^[0-9]+$/.test(observed) ? Number(observed) : undefined;
    if (numeric === undefined) {
        return true;
    }
    return rollout.metadata.generation === undefined || numeric >= rollout.metadata.generation;
}

/** Phase and message, after rolloututil.GetRolloutPhase. */
export function rolloutPhase(rollout: Rollout): { phase: string; message: string } {
    if (!generationObserved(rollout)) {
        return { phase: "Progressing", message: "waiting for rollout spec update to be observed" };
    }
    const status = rollout.status ?? {};
    if (status.controllerPause === true && (status.pauseConditions?.length ?? 0) === 0) {
        return { phase: "Progressing", message: "waiting for rollout to unpause" };
    }
    if (status.phase !== undefined && status.phase !== "") {
        return { phase: status.phase, message: status.message ?? "" };
    }
    return { phase: "Progressing", message: "the controller has not reported a phase yet" };
}

/** The canary weight the controller is aiming for, after replicasetutil.GetCurrentSetWeight. */
export function setWeight(rollout: Rollout): number | undefined {
    const steps = rollout.spec?.strategy?.canary?.steps;
    if (steps === undefined) {
        return undefined;
    }
    const status = rollout.status ?? {};
    if (status.abort === true) {
        return 0;
    }
    if (status.promoteFull === true || (status.stableRS !== undefined && status.stableRS === status.currentPodHash)) {
        return 100;
    }
    const index = currentStepIndex(rollout);
    if (index === undefined || index >= steps.length) {
        return 100;
    }
    for (let i = index; i >= 0; i--) {
        const weight = steps[i]?.setWeight;
        if (weight !== undefined) {
            return weight;
        }
    }
    return 0;
}

/** What `status` prints and `--wait` follows for one Rollout. */
export interface RolloutSummary {
    readonly name: string;
    readonly phase: string;
    readonly message: string;
    readonly strategy: "canary" | "blueGreen" | "unknown";
    /** `2/6` for a canary with steps. */
    readonly step?: string;
    readonly setWeight?: number;
    readonly aborted: boolean;
    readonly analysisRuns: readonly { readonly kind: string; readonly name: string; readonly status: string; readonly message?: string }[];
    readonly images: readonly string[];
    readonly replicas: { readonly desired?: number; readonly updated?: number; readonly ready?: number; readonly available?: number };
}

export function summarizeRollout(rollout: Rollout): RolloutSummary {
    const status = rollout.status ?? {};
    const { phase, message } = rolloutPhase(rollout);
    const steps = rollout.spec?.strategy?.canary?.steps;
    const index = currentStepIndex(rollout);
    const runs = [
        ["step", status.canary?.currentStepAnalysisRunStatus],
        ["background", status.canary?.currentBackgroundAnalysisRunStatus],
        ["pre-promotion", status.blueGreen?.prePromotionAnalysisRunStatus],
        ["post-promotion", status.blueGreen?.postPromotionAnalysisRunStatus],
    ] as const;
    const weight = setWeight(rollout);
    return {
        name: rollout.metadata.name,
        phase,
        message,
        strategy: rollout.spec?.strategy?.canary !== undefined ? "canary" : rollout.spec?.strategy?.blueGreen !== undefined ? "blueGreen" : "unknown",
        ...(index === undefined || steps === undefined ? {} : { step: `${Math.min(index, steps.length)}/${steps.length}` }),
        ...(weight === undefined ? {} : { setWeight: weight }),
        aborted: status.abort === true,
        analysisRuns: runs.flatMap(([kind, run]) => run?.name === undefined ? [] : [{
            kind, name: run.name, status: run.status ?? "Pending", ...(run.message === undefined || run.message === "" ? {} : { message: run.message }),
        }]),
        images: (rollout.spec?.template?.spec?.containers ?? []).flatMap((c) => (c.image === undefined ? [] : [c.image])),
        replicas: { updated: status.updatedReplicas, ready: status.readyReplicas, available: status.availableReplicas, desired: status.replicas },
    };
}

/** One line per Rollout: `cart-service  Paused  canary step 1/6 weight 20%  analysis success-rate Running  — message`. */
export function describeRollout(summary: RolloutSummary): string {
    const parts = [summary.name.padEnd(18), summary.phase.padEnd(11)];
    if (summary.strategy === "canary") {
        parts.push(`canary${summary.step === undefined ? "" : ` step ${summary.step}`}${summary.setWeight === undefined ? "" : ` weight ${summary.setWeight}%`}`);
    } else if (summary.strategy === "blueGreen") {
        parts.push("blue/green");
    }
    if (summary.aborted) {
        parts.push("aborted");
    }
    for (const run of summary.analysisRuns) {
        parts.push(`analysis ${run.name} ${run.status}`);
    }
    return parts.join("  ").trimEnd() + (summary.message === "" ? "" : ` (${summary.message})`);
}

export type WaitVerdict = "continue" | "healthy" | "paused" | "degraded";

/**
 * When `--wait` stops: Healthy; Degraded (aborted included); or Paused waiting for a human
 * (`spec.paused`, an indefinite canary pause step, a blue/green promotion without auto-promotion).
 * A timed pause step (`pause: {duration: 2m}`) is part of the walk and is followed through.
 */
export function waitVerdict(rollout: Rollout): WaitVerdict {
    const { phase } = rolloutPhase(rollout);
    if (!generationObserved(rollout) || phase === "Progressing") {
        return "continue";
    }
    if (phase === "Healthy") {
        return "healthy";
    }
    if (phase === "Degraded" || rollout.status?.abort === true) {
        return "degraded";
    }
    if (phase !== "Paused") {
        return "continue";
    }
    if (rollout.spec?.paused === true) {
        return "paused";
    }
    const steps = rollout.spec?.strategy?.canary?.steps;
    const index = currentStepIndex(rollout);
    if (steps !== undefined && index !== undefined && index < steps.length) {
        const pause = steps[index]?.pause;
        return pause !== undefined && pause.duration !== undefined ? "continue" : "paused";
    }
    return "paused";
}

export interface FollowContext {
    progress(line: string): void;
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** How often --wait polls the Rollout; the controller reconciles about as often. */
export const POLL_INTERVAL_MS = 2_000;

/**
 * Follows one Rollout until {@link waitVerdict} says stop, printing each change of its summary.
 * Throws {@link RolloutOutcomeError} when it ends Degraded or the timeout passes.
 */
export async function followRollout(api: RolloutApi, namespace: string, name: string, timeoutMs: number, ctx: FollowContext): Promise<RolloutSummary> {
    const deadline = ctx.now() + timeoutMs;
    let last = "";
    for (;;) {
        const rollout = await api.get(namespace, name);
        const summary = summarizeRollout(rollout);
        const line = describeRollout(summary);
        if (line !== last) {
            ctx.progress(`  ${line}`);
            last = line;
        }
        const verdict = waitVerdict(rollout);
        if (verdict === "healthy" || verdict === "paused") {
            return summary;
        }
        if (verdict === "degraded") {
            throw new RolloutOutcomeError(`${name} is ${summary.phase}${summary.aborted ? " (aborted)" : ""}: ${summary.message || "see `status`"}. ` +
                "Traffic stays on the stable version; `undo` moves the config back, `retry` tries the same image again.", "degraded");
        }
        if (ctx.now() >= deadline) {
            throw new RolloutOutcomeError(`${name} did not settle within ${formatDuration(timeoutMs)}; it was last ${summary.phase}` +
                `${summary.step === undefined ? "" : ` at step ${summary.step}`}. It keeps going; follow it with \`status\`.`, "timeout");
        }
        await ctx.sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - ctx.now())));
    }
}

/** The real RolloutApi on @kubernetes/client-node's CustomObjectsApi. */
export async function kubernetesRolloutApi(source: KubeconfigSource): Promise<RolloutApi> {
    const { k8s, config } = await loadKubeConfig(source);
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
        try {
            return await call();
        } catch (error) {
            if (error instanceof k8s.ApiException) {
                const reason = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
                throw new KubernetesApiError(`${what}: HTTP ${error.code} ${reason}`, error.code);
            }
            throw error;
        }
    };
    const base = { group: ROLLOUT_GROUP, version: ROLLOUT_VERSION, plural: ROLLOUT_PLURAL };
    return {
        get: (namespace, name) => wrap(`get Rollout ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...base, namespace, name })) as Promise<Rollout>,
        list: async (namespace) => {
            const list = await wrap(`list Rollouts in ${namespace}`, () => api.listNamespacedCustomObject({ ...base, namespace })) as { items?: Rollout[] };
            return list.items ?? [];
        },
        patch: (namespace, name, body, subresource) => wrap(
            `patch Rollout ${namespace}/${name}${subresource === undefined ? "" : `/${subresource}`}`,
            () => subresource === "status"
                ? api.patchNamespacedCustomObjectStatus({ ...base, namespace, name, body }, mergePatch)
                : api.patchNamespacedCustomObject({ ...base, namespace, name, body }, mergePatch),
        ) as Promise<Rollout>,
    };
}

/** A missing Rollout is "not found" (exit 4) with a hint, not a raw HTTP error. */
export async function getRollout(api: RolloutApi, namespace: string, name: string): Promise<Rollout> {
    try {
        return await api.get(namespace, name);
    } catch (error) {
        if (error instanceof KubernetesApiError && error.statusCode === 404) {
            throw new BotError(`no Rollout ${name} in namespace ${namespace}; \`status\` lists the stack's Rollouts`, EXIT.notFound);
        }
        throw error;
    }
}
