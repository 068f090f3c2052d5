import { Command } from "@commander-js/extra-typings";
import { restartUpdate } from "../configChanges";
import { BotContext, plainOutputs } from "../context";
import { updateOptions, updateStack } from "../engine";
import { BotCommand, examples, jsonOption, Notifying, notifying, notifyOption, policyPackConfigOption, policyPackOption, STACK_HELP, stackName, Updating, updating, waitLockOption } from "../options";
import { configKey } from "../stackConfig";
import { openStack } from "../workspace";

export type RestartCommand = { readonly kind: "restart"; readonly stack: string } & Updating & Notifying;

export const restartCommand: BotCommand<RestartCommand> = {
    declare: (parsed) => new Command("restart")
        .description("Set deployedAt to now (RFC3339 UTC) and update: every workload rolls its pods once.")
        .argument("<stack>", STACK_HELP, stackName)
        .addOption(waitLockOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(notifyOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("restart dev", "restart pr-123 --wait-lock 5m"))
        .action((stack, options) => parsed({ kind: "restart", stack, ...updating(options), ...notifying(options) })),
    run: restart,
};

/**
 * `restart <stack>`: a new deployedAt (RFC3339 UTC, to the second) and `pulumi up`. The program
 * copies it into every workload's pod-template restartedAt annotation, so each rolls once.
 */
export async function restart(command: RestartCommand, ctx: BotContext): Promise<void> {
    ctx.out.progress(`restart: ${command.stack}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    let deployedAt = "";
    const result = await updateStack(stack, (current) => {
        const update = restartUpdate(current, new Date(ctx.now()));
        deployedAt = update.set[configKey("deployedAt")]!.value;
        return update;
    }, updateOptions(command, "rollout-bot restart"), ctx);
    const outputs = plainOutputs(result.outputs);
    const applied = outputs.lastDeployedAt;
    ctx.out.result(
        `${command.stack} restarted at ${deployedAt}` + (applied === undefined ? "" : `; lastDeployedAt is ${String(applied)}`),
        { stack: command.stack, deployedAt, lastDeployedAt: applied ?? null, changes: result.summary.resourceChanges ?? {} },
    );
}
