import { Command } from "@commander-js/extra-typings";
import type { Stack, UpdateSummary } from "@pulumi/pulumi/automation";
import { imagesUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateOptions, updateStack } from "../engine";
import { BotError, EXIT } from "../errors";
import { undoTarget, UndoTarget } from "../imageHistory";
import {
    BotCommand, examples, Following, following, jsonOption, policyPackConfigOption, policyPackOption, serviceName, STACK_HELP, stackName, timeoutOption, Updating, updating,
    waitLockOption, waitOption,
} from "../options";
import { describeFollowed, followServices } from "../rollouts/follow";
import { openStack } from "../workspace";

export type UndoCommand = { readonly kind: "undo"; readonly stack: string; readonly service: string } & Updating & Following;

export const undoCommand: BotCommand<UndoCommand> = {
    declare: (parsed) => new Command("undo")
        .description("Set the service's image back to the one before it (from the stack's update history) and update.")
        .argument("<stack>", STACK_HELP, stackName)
        .argument("<service>", "the service to roll back", serviceName)
        .addOption(waitOption())
        .addOption(timeoutOption())
        .addOption(waitLockOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("undo prod cart-service --wait"))
        .action((stack, service, options) => parsed({ kind: "undo", stack, service, ...following(options), ...updating(options) })),
    run: undo,
};

const HISTORY_PAGE = 50;
/** Undo looks this far back; past it, set the image explicitly with `release`. */
const MAX_HISTORY_PAGES = 20;

/** Reads history page by page until the previous image shows up. */
async function findUndoTarget(stack: Stack, service: string): Promise<UndoTarget> {
    const history: UpdateSummary[] = [];
    for (let page = 1; page <= MAX_HISTORY_PAGES; page++) {
        const entries = await stack.history(HISTORY_PAGE, page, false);
        history.push(...entries);
        const target = undoTarget(history, service);
        if (target.kind !== "nothing" || entries.length < HISTORY_PAGE) {
            return target;
        }
    }
    return undoTarget(history, service);
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
    const target = await findUndoTarget(stack, command.service);
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
