import { Rollout } from "./types";
import type { PodFailure } from "../workloads";

/**
 * Where a live Rollout stands, read from its spec and status after the controller's own helpers
 * (rolloututil, replicasetutil): pure functions, tested without a cluster.
 */

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
    /** Why the new revision's pods do not start, as the kubelet says it (`ImagePullBackOff`), when they do not. */
    readonly podFailure?: PodFailure;
}

/** `rollout` as `status` shows it; `podFailure` is what its new revision's pods report (see {@link podFailureOf}). */
export function summarizeRollout(rollout: Rollout, podFailure?: PodFailure): RolloutSummary {
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
        ...(podFailure === undefined ? {} : { podFailure }),
    };
}

/** `ImagePullBackOff on ghcr.io/...:v3: Back-off pulling image "..."`: the pods' reason, for messages. */
export function describePodFailure(failure: PodFailure, images: readonly string[]): string {
    return `${failure.reason}${images.length === 0 ? "" : ` on ${images.join(", ")}`}${failure.message === undefined ? "" : `: ${failure.message}`}`;
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
    if (summary.podFailure !== undefined) {
        parts.push(`pods ${summary.podFailure.reason}`);
    }
    return parts.join("  ").trimEnd() + (summary.message === "" ? "" : ` (${summary.message})`);
}

export type WaitVerdict = "continue" | "healthy" | "paused" | "inconclusive" | "degraded";

/** The pause condition the controller sets when an analysis measured neither success nor failure. */
export const INCONCLUSIVE_PAUSE_REASON = "InconclusiveAnalysisRun";

/**
 * True when the Rollout runs any analysis: a canary analysis step or background analysis, or a
 * blue/green pre- or post-promotion analysis.
 */
export function usesAnalysis(rollout: Rollout): boolean {
    const { canary, blueGreen } = rollout.spec?.strategy ?? {};
    return (canary?.steps ?? []).some((step) => step.analysis !== undefined) || canary?.analysis !== undefined
        || blueGreen?.prePromotionAnalysis !== undefined || blueGreen?.postPromotionAnalysis !== undefined;
}

/**
 * When `--wait` stops: Healthy; Degraded (aborted included); Paused on an inconclusive analysis; or
 * Paused waiting for a human (`spec.paused`, an indefinite canary pause step, a blue/green
 * promotion without auto-promotion).
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
    if ((rollout.status?.pauseConditions ?? []).some((condition) => condition.reason === INCONCLUSIVE_PAUSE_REASON)) {
        return "inconclusive";
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
