import { Command, Option } from "@commander-js/extra-typings";
import type { Stack } from "@pulumi/pulumi/automation";
import { imagesUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateOptions, updateStack } from "../engine";
import { BotError, EXIT } from "../errors";
import { readHistory } from "../history";
import { undoTarget, undoTargetTo } from "../imageHistory";
import {
    BotCommand, examples, Following, following, jsonOption, Notifying, notifying, notifyOption, policyPackConfigOption, policyPackOption, serviceName, STACK_HELP, stackName, timeoutOption, Updating, updating,
    waitLockOption, waitOption,
} from "../options";
import { describeFollowed, followServices } from "../rollouts/follow";
import { openStack } from "../workspace";

export type UndoCommand = {
    readonly kind: "undo"; readonly stack: string; readonly service: string;
    /** An update number from `history`, or an image the service ran in a succeeded update; undefined = the image before the current one. */
    readonly to?: string;
} & Updating & Following & Notifying;

export const undoCommand: BotCommand<UndoCommand> = {
    declare: (parsed) => new Command("undo")
        .description("Set the service's image back to the one before it, or to one it ran before (--to), from the stack's update history, and update.")
        .argument("<stack>", STACK_HELP, stackName)
        .argument("<service>", "the service to roll back", serviceName)
        .addOption(new Option("--to <update|image>", "go back to the image of this update (a number from `history`) or to this image, which must have run before"))
        .addOption(waitOption())
        .addOption(timeoutOption())
        .addOption(waitLockOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(notifyOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("undo prod cart-service --wait", "undo prod cart-service --to 41", "undo prod cart-service --to ghcr.io/pilab-hu/cart-service:v2.3.1"))
        .action((stack, service, options) => parsed({
            kind: "undo", stack, service, ...(options.to === undefined ? {} : { to: options.to }), ...following(options), ...updating(options), ...notifying(options),
        })),
    run: undo,
};

/** The previous image (history read page by page until it shows up), or `--to`'s (the whole history). */
async function findTarget(stack: Stack, command: UndoCommand): Promise<ReturnType<typeof undoTargetTo>> {
    const { to, service } = command;
    const target = (history: Parameters<typeof undoTarget>[0]) => (to === undefined ? undoTarget(history, service) : undoTargetTo(history, service, to));
    // --to numbers updates from the oldest on a self-managed backend: only the whole history numbers them.
    return target(await readHistory(stack, (history) => to === undefined && target(history).kind !== "nothing"));
}

/**
 * `undo <stack> <service>`: rolls back by config. The previous image comes from the stack's update
 * history (see imageHistory.ts); it is written to images.<service> (or the override is removed
 * when the service ran at imageTag before) and the stack is updated, so the next `pulumi up`
 * keeps the rollback instead of undoing it.
 */
export async function undo(command: UndoCommand, ctx: BotContext): Promise<void> {
    ctx.out.progress(`undo: ${command.service} in ${command.stack}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const target = await findTarget(stack, command);
    if (target.kind === "unknown") {
        throw new BotError(`cannot undo ${command.service} in ${command.stack} to ${command.to}: ${target.why}; ` +
            "`history` lists the updates and images it ran; a new image is a `release`", EXIT.failed);
    }
    if (target.kind === "nothing" && command.to !== undefined) {
        throw new BotError(`${command.service} in ${command.stack} already runs ${command.to === target.current ? command.to : `the image of update ${command.to}`}; nothing to undo`, EXIT.failed);
    }
    if (target.kind === "nothing") {
        throw new BotError(`${command.stack}'s update history has no earlier image of ${command.service} to go back to` +
            (target.current === undefined ? "" : ` (it runs ${target.current})`) + "; set one with `release`", EXIT.failed);
    }
    const image = target.kind === "image" ? target.image : undefined;
    const from = target.current ?? "imageTag";
    const to = image ?? "the stack's imageTag";
    ctx.out.progress(`  ${command.service}: ${from} -> ${to}`);
    const result = await updateStack(stack, (current) => imagesUpdate(current, { [command.service]: image }), updateOptions(command, `rollout-bot undo ${command.service}: ${from} -> ${to}`), ctx);
    const rollouts = command.wait ? await followServices(stack, [command.service], command.timeoutMs, ctx) : [];
    ctx.out.result(
        [`${command.service} in ${command.stack} is back at ${to} (was ${from})`, ...rollouts.flatMap((rollout) => describeFollowed(rollout).map((text) => `  ${text}`))].join("\n"),
        { stack: command.stack, service: command.service, from: target.current ?? null, to: image ?? null, changes: result.summary.resourceChanges ?? {}, rollouts },
    );
}
