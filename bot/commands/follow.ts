import type { Stack } from "@pulumi/pulumi/automation";
import { BotContext, stackNamespace } from "../context";
import { followRollout, RolloutSummary } from "../rollouts";

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
