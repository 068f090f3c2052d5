import type { Stack } from "@pulumi/pulumi/automation";
import { BotContext, stackNamespace } from "../context";
import { formatDuration } from "../duration";
import { RolloutOutcomeError } from "../errors";
import { RolloutApi } from "./client";
import { describeRollout, RolloutSummary, summarizeRollout, waitVerdict } from "./status";

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

/**
 * Follows each service's Rollout after an update (`--wait`), all at once, and returns their final
 * summaries. The first one to end Degraded or time out decides the error; the others are still
 * followed to the end so the output shows where each stands.
 */
export async function followServices(stack: Stack, services: readonly string[], timeoutMs: number, ctx: BotContext): Promise<RolloutSummary[]> {
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
    return results.map((result) => (result as PromiseFulfilledResult<RolloutSummary>).value);
}
