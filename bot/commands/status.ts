import type { Command } from "../args";
import { BotContext, stackNamespace } from "../context";
import { describeRollout, getRollout, summarizeRollout } from "../rollouts";
import { openStack } from "../workspace";

/** `status <stack> [service]`: the live Rollouts of the stack's namespace. */
export async function status(command: Extract<Command, { kind: "status" }>, ctx: BotContext): Promise<void> {
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const namespace = await stackNamespace(stack);
    const api = await ctx.rolloutApi(await stack.getAllConfig());
    const rollouts = command.service === undefined ? await api.list(namespace) : [await getRollout(api, namespace, command.service)];
    const summaries = rollouts.map(summarizeRollout).sort((a, b) => a.name.localeCompare(b.name));
    ctx.out.result(
        summaries.length === 0 ? `no Rollouts in ${namespace}` : [`${command.stack} (namespace ${namespace})`, ...summaries.map((s) => `  ${describeRollout(s)}`)].join("\n"),
        { stack: command.stack, namespace, rollouts: summaries },
    );
}
