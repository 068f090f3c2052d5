import type { Command } from "../args";
import { BotContext, stackNamespace } from "../context";
import { ABORT_PATCHES, applyPatches, describeRollout, getRollout, promotePatches, RETRY_PATCHES, RolloutPatches, summarizeRollout } from "../rollouts";
import { openStack } from "../workspace";

type ActionCommand = Extract<Command, { kind: "promote" | "abort" | "retry" }>;

/** Past tense for the result line, as the kubectl plugin prints it. */
const DONE: Readonly<Record<ActionCommand["kind"], string>> = { promote: "promoted", abort: "aborted", retry: "retried" };

/**
 * `promote`, `abort`, `retry`: the kubectl argo rollouts plugin's patches on the live Rollout,
 * named after the service in the stack's namespace. These act on the cluster, not on config: the
 * next `pulumi up` leaves them alone because the program does not manage Rollout status.
 */
export async function rolloutAction(command: ActionCommand, ctx: BotContext): Promise<void> {
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const namespace = await stackNamespace(stack);
    const api = await ctx.rolloutApi(await stack.getAllConfig());
    const rollout = await getRollout(api, namespace, command.service);
    const patches: RolloutPatches = command.kind === "promote" ? promotePatches(rollout, command.full)
        : command.kind === "abort" ? ABORT_PATCHES : RETRY_PATCHES;
    const verb = command.kind === "promote" && command.full ? "fully promoted" : DONE[command.kind];
    if (patches.spec === undefined && patches.status === undefined) {
        const summary = summarizeRollout(rollout);
        const why = command.kind === "promote" && command.full ? "already runs its desired version" : "is neither paused nor at a canary step";
        ctx.out.result(`rollout '${command.service}' ${why}; nothing to promote\n  ${describeRollout(summary)}`,
            { stack: command.stack, namespace, service: command.service, action: "none", rollout: summary });
        return;
    }
    await applyPatches(api, namespace, command.service, patches);
    const summary = summarizeRollout(await api.get(namespace, command.service));
    ctx.out.result(`rollout '${command.service}' ${verb}\n  ${describeRollout(summary)}`,
        { stack: command.stack, namespace, service: command.service, action: command.kind, full: command.kind === "promote" && command.full, rollout: summary });
}
