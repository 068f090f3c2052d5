import { Command } from "@commander-js/extra-typings";
import { BotContext, stackNamespace } from "../context";
import { BotCommand, Common, common, examples, jsonOption, serviceName, STACK_HELP, stackName } from "../options";
import { getRollout } from "../rollouts/client";
import { ABORT_PATCHES, applyPatches, promotePatches, RETRY_PATCHES, RolloutPatches } from "../rollouts/patches";
import { describeRollout, summarizeRollout } from "../rollouts/status";
import { openStack } from "../workspace";

export type ActionCommand = ({ readonly kind: "promote"; readonly full: boolean } | { readonly kind: "abort" | "retry" }) &
    { readonly stack: string; readonly service: string } & Common;

/** `<stack> <service>`, and what the three actions have in common. */
function actionCommand(kind: ActionCommand["kind"], description: string, ...moreExamples: string[]) {
    return new Command(kind)
        .description(description)
        .argument("<stack>", STACK_HELP, stackName)
        .argument("<service>", "the service whose Rollout to act on", serviceName)
        .addHelpText("after", examples(`${kind} prod cart-service`, ...moreExamples));
}

export const promoteCommand: BotCommand<ActionCommand> = {
    declare: (parsed) => actionCommand("promote", "Promote a paused Rollout to its next step, or with --full skip all remaining steps and analysis.",
        "promote prod cart-service --full")
        .option("--full", "skip the remaining steps, pauses and analysis")
        .addOption(jsonOption())
        .action((stack, service, options) => parsed({ kind: "promote", stack, service, full: options.full ?? false, ...common(options) })),
    run: rolloutAction,
};

export const abortCommand: BotCommand<ActionCommand> = {
    declare: (parsed) => actionCommand("abort", "Abort a Rollout: traffic goes back to the stable ReplicaSet. Use undo to move the config back too.")
        .addOption(jsonOption())
        .action((stack, service, options) => parsed({ kind: "abort", stack, service, ...common(options) })),
    run: rolloutAction,
};

export const retryCommand: BotCommand<ActionCommand> = {
    declare: (parsed) => actionCommand("retry", "Retry an aborted Rollout from its first step.")
        .addOption(jsonOption())
        .action((stack, service, options) => parsed({ kind: "retry", stack, service, ...common(options) })),
    run: rolloutAction,
};

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
