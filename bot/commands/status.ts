import { Command } from "@commander-js/extra-typings";
import { BotContext, stackNamespace } from "../context";
import { BotCommand, Common, common, examples, jsonOption, serviceName, STACK_HELP, stackName } from "../options";
import { getRollout } from "../rollouts/client";
import { podFailureOf } from "../rollouts/podFailure";
import { describeRollout, summarizeRollout } from "../rollouts/status";
import { openStack } from "../workspace";

export type StatusCommand = { readonly kind: "status"; readonly stack: string; readonly service?: string } & Common;

export const statusCommand: BotCommand<StatusCommand> = {
    declare: (parsed) => new Command("status")
        .description("Show the live Rollouts of a stack (or one service): phase, step, weight, analysis runs, images.")
        .argument("<stack>", STACK_HELP, stackName)
        .argument("[service]", "only this service's Rollout", serviceName)
        .addOption(jsonOption())
        .addHelpText("after", examples("status prod", "status prod cart-service --json"))
        .action((stack, service, options) => parsed({ kind: "status", stack, ...(service === undefined ? {} : { service }), ...common(options) })),
    run: status,
};

/** `status <stack> [service]`: the live Rollouts of the stack's namespace. */
export async function status(command: StatusCommand, ctx: BotContext): Promise<void> {
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const namespace = await stackNamespace(stack);
    const api = await ctx.rolloutApi(await stack.getAllConfig());
    const rollouts = command.service === undefined ? await api.list(namespace) : [await getRollout(api, namespace, command.service)];
    const summaries = (await Promise.all(rollouts.map(async (rollout) => summarizeRollout(rollout, await podFailureOf(api, namespace, rollout)))))
        .sort((a, b) => a.name.localeCompare(b.name));
    ctx.out.result(
        summaries.length === 0 ? `no Rollouts in ${namespace}` : [`${command.stack} (namespace ${namespace})`, ...summaries.map((s) => `  ${describeRollout(s)}`)].join("\n"),
        { stack: command.stack, namespace, rollouts: summaries },
    );
}
