import { Command } from "@commander-js/extra-typings";
import { BotContext, plainOutputs } from "../context";
import { updateOptions, updateStack } from "../engine";
import { recordHealthy } from "../healthyRecord";
import {
    BotCommand, examples, Following, following, jsonOption, Notifying, notifying, notifyOption, Overriding, overriding, policyPackConfigOption, policyPackOption,
    promotionOverrideOption, STACK_HELP, stackName, timeoutOption, Updating, updating, waitLockOption, waitOption,
} from "../options";
import { describeFollowed, followServices } from "../rollouts/follow";
import { openStack } from "../workspace";

export type EnvUpCommand = { readonly kind: "env up"; readonly stack: string } & Updating & Following & Overriding & Notifying;

export const envUpCommand: BotCommand<EnvUpCommand> = {
    declare: (parsed) => new Command("up")
        .description("Update a long-lived stack to this checkout's program and config (what merging a pull request ships). With --wait, follow " +
            "every Rollout until Healthy and record the images it runs Healthy, which the promotion gate of the stacks promoted from it reads.")
        .argument("<stack>", STACK_HELP, stackName)
        .addOption(waitOption())
        .addOption(timeoutOption())
        .addOption(waitLockOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(promotionOverrideOption())
        .addOption(notifyOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("env up dev --wait --wait-lock 30m", "env up prod --wait --timeout 45m"))
        .action((stack, options) => parsed({ kind: "env up", stack, ...following(options), ...updating(options), ...overriding(options), ...notifying(options) })),
    run: envUp,
};

/** The update's message: the commit it ships, when CI names it. */
function upMessage(env: NodeJS.ProcessEnv): string {
    const sha = env.GITHUB_SHA;
    return sha === undefined || sha === "" ? "rollout-bot env up" : `rollout-bot env up ${sha.slice(0, 12)}`;
}

/**
 * `env up <stack>`: `pulumi up` of the stack exactly as this checkout has it (its program and its
 * `Pulumi.<stack>.yaml`), the config left as it is. With --wait, follows each of the stack's
 * Rollouts until Healthy, paused or Degraded, then records the Healthy images (see
 * {@link recordHealthy}); a Rollout that ended otherwise fails the command (exit 6 or 7) and
 * records nothing.
 */
export async function envUp(command: EnvUpCommand, ctx: BotContext): Promise<void> {
    ctx.out.progress(`env up: ${command.stack}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const result = await updateStack(stack, () => ({ set: {}, remove: [] }), updateOptions(command, upMessage(process.env)), ctx);
    const changes = result.summary.resourceChanges ?? {};
    const services = Object.keys((plainOutputs(result.outputs).services ?? {}) as Record<string, unknown>);
    const rollouts = command.wait && services.length > 0 ? await followServices(stack, services, command.timeoutMs, ctx) : [];
    const record = command.wait ? await recordHealthy(stack, rollouts, command.waitLockMs, ctx) : undefined;
    const changed = Object.entries(changes).filter(([op, count]) => op !== "same" && (count ?? 0) > 0).map(([op, count]) => `${count} ${op}`);
    ctx.out.result(
        [
            `${command.stack} is up${changed.length === 0 ? ", nothing changed" : `: ${changed.join(", ")}`}`,
            ...rollouts.flatMap((rollout) => describeFollowed(rollout).map((text) => `  ${text}`)),
            ...(record === undefined || Object.keys(record.recorded).length === 0 ? [] : [`  Healthy on record: ${Object.entries(record.recorded).map(([s, i]) => `${s}=${i}`).join(" ")}`]),
        ].join("\n"),
        { stack: command.stack, changes, rollouts, ...(record === undefined ? {} : { healthy: record.recorded, recordUpdated: record.updated }) },
    );
}
