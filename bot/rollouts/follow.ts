import type { Stack } from "@pulumi/pulumi/automation";
import { BotContext, stackNamespace } from "../context";
import { formatDuration } from "../duration";
import { RolloutOutcomeError } from "../errors";
import {
    AnalysisVerdict, analysisVerdict, decidingMetrics, describeAnalysisVerdict, describeMetricVerdict, FINISHED_ANALYSIS_PHASES, runsOfRevision,
} from "./analysis";
import { RolloutApi } from "./client";
import { podFailureOf } from "./podFailure";
import { describePodFailure, describeRollout, RolloutSummary, summarizeRollout, usesAnalysis, waitVerdict } from "./status";
import { Rollout } from "./types";
import type { PodFailure } from "../workloads";

export interface FollowContext {
    progress(line: string): void;
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** How often --wait polls the Rollout; the controller reconciles about as often. */
export const POLL_INTERVAL_MS = 2_000;

/** Where a followed Rollout ended, with the verdict of every analysis it ran for the new revision. */
export type FollowedRollout = RolloutSummary & { readonly analysis: readonly AnalysisVerdict[] };

/**
 * The verdicts of the finished AnalysisRuns of the Rollout's current revision. A run is read from
 * the API rather than from the Rollout's status, which forgets a step's run once the next step starts.
 */
async function finishedAnalyses(api: RolloutApi, namespace: string, rollout: Rollout): Promise<AnalysisVerdict[]> {
    const podHash = rollout.status?.currentPodHash;
    if (podHash === undefined || !usesAnalysis(rollout)) {
        return [];
    }
    return runsOfRevision(await api.analysisRuns(namespace, podHash), rollout.metadata.name, podHash)
        .map(analysisVerdict)
        .filter((verdict) => FINISHED_ANALYSIS_PHASES.includes(verdict.phase));
}

/** `analysis <run> Failed: success-rate Failed: measured 0.7; fails when result[0] < 0.99`: why it ended so. */
function analysisReason(verdicts: readonly AnalysisVerdict[], phases: readonly string[]): string | undefined {
    const run = [...verdicts].reverse().find((verdict) => phases.includes(verdict.phase));
    if (run === undefined) {
        return undefined;
    }
    const metrics = decidingMetrics(run);
    return `analysis ${run.name} ${run.phase}: ${metrics.length === 0 ? run.message ?? "no metric result" : metrics.map(describeMetricVerdict).join("; ")}`;
}

/**
 * Follows one Rollout until {@link waitVerdict} says stop, printing each change of its summary and
 * each analysis verdict as it comes. Throws {@link RolloutOutcomeError} when it ends Degraded, paused
 * on an inconclusive analysis, or the timeout passes; the message names the analysis that decided.
 */
export async function followRollout(api: RolloutApi, namespace: string, name: string, timeoutMs: number, ctx: FollowContext): Promise<FollowedRollout> {
    const deadline = ctx.now() + timeoutMs;
    const reported = new Map<string, AnalysisVerdict>();
    let last = "";
    // The new revision's pods are gone once an abort scales them down: keep the last reason seen.
    let podFailure: PodFailure | undefined;
    for (;;) {
        const rollout = await api.get(namespace, name);
        podFailure = (await podFailureOf(api, namespace, rollout)) ?? podFailure;
        const summary = summarizeRollout(rollout, podFailure);
        const pods = podFailure === undefined ? undefined : `pods of the new revision: ${describePodFailure(podFailure, summary.images)}`;
        const line = describeRollout(summary);
        if (line !== last) {
            ctx.progress(`  ${line}`);
            last = line;
        }
        for (const verdict of await finishedAnalyses(api, namespace, rollout)) {
            if (!reported.has(verdict.name)) {
                describeAnalysisVerdict(verdict).forEach((text) => ctx.progress(`    ${text}`));
                reported.set(verdict.name, verdict);
            }
        }
        const analysis = [...reported.values()];
        const verdict = waitVerdict(rollout);
        if (verdict === "healthy" || verdict === "paused") {
            return { ...summary, analysis };
        }
        if (verdict === "degraded") {
            const why = analysisReason(analysis, ["Failed", "Error"]) ?? pods ?? (summary.message || "see `status`");
            throw new RolloutOutcomeError(`${name} is ${summary.phase}${summary.aborted ? " (aborted)" : ""}: ${why}. ` +
                "Traffic stays on the stable version; `undo` moves the config back, `retry` tries the same image again.", "degraded");
        }
        if (verdict === "inconclusive") {
            const why = analysisReason(analysis, ["Inconclusive"]) ?? (summary.message || "an analysis was inconclusive");
            throw new RolloutOutcomeError(`${name} is paused: ${why}. ` +
                "Nothing decided either way, so a person does: `promote` to go on, `abort` to go back to the stable version.", "inconclusive");
        }
        if (ctx.now() >= deadline) {
            throw new RolloutOutcomeError(`${name} did not settle within ${formatDuration(timeoutMs)}; it was last ${summary.phase}` +
                `${summary.step === undefined ? "" : ` at step ${summary.step}`}${pods === undefined ? "" : ` (${pods})`}. It keeps going; follow it with \`status\`` +
                `${pods === undefined ? "" : ", or `undo` it (environment.progressDeadlineAbort aborts such a release by itself)"}.`, "timeout");
        }
        await ctx.sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - ctx.now())));
    }
}

/**
 * Follows each service's Rollout after an update (`--wait`), all at once, and returns where each
 * ended. The first one to end Degraded, inconclusive or time out decides the error; the others are
 * still followed to the end so the output shows where each stands.
 */
export async function followServices(stack: Stack, services: readonly string[], timeoutMs: number, ctx: BotContext): Promise<FollowedRollout[]> {
    const namespace = await stackNamespace(stack);
    const api = await ctx.rolloutApi(await stack.getAllConfig());
    ctx.out.progress(`following ${services.join(", ")} in ${namespace}`);
    const results = await Promise.allSettled(services.map((service) => followRollout(api, namespace, service, timeoutMs, {
        progress: (line) => ctx.out.progress(line),
        now: ctx.now,
        sleep: ctx.sleep,
    })));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure !== undefined) {
        throw failure.reason;
    }
    return results.map((result) => (result as PromiseFulfilledResult<FollowedRollout>).value);
}

/** A followed Rollout for the command's answer: its line, then each analysis verdict. */
export function describeFollowed(rollout: FollowedRollout): string[] {
    return [describeRollout(rollout), ...rollout.analysis.flatMap((verdict) => describeAnalysisVerdict(verdict).map((text) => `  ${text}`))];
}
