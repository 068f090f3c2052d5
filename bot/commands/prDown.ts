import { Command } from "@commander-js/extra-typings";
import { StackNotFoundError } from "@pulumi/pulumi/automation";
import { prStackName } from "../../lib/naming";
import { BotContext } from "../context";
import { destroyAndRemove } from "../engine";
import { BotError, EXIT, reportFailure } from "../errors";
import { BotCommand, examples, jsonOption, prNumber, Updating, updating, waitLockOption } from "../options";
import { openStack } from "../workspace";

export type PrDownCommand = { readonly kind: "pr down"; readonly pr: number } & Updating;

export const prDownCommand: BotCommand<PrDownCommand> = {
    declare: (parsed) => new Command("down")
        .description("Destroy pr-<n>'s resources, then remove the stack. Succeeds when it is already gone; keeps the stack if the destroy fails.")
        .argument("<n>", "the pull request number", prNumber)
        .addOption(waitLockOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("pr down 123"))
        .action((pr, options) => parsed({ kind: "pr down", pr, ...updating(options) })),
    run: prDown,
};

/**
 * The error for a failed `pr down`: a destroy that failed part-way says the stack is kept and how to
 * retry; one that never started (another update held the lock) keeps its own error.
 */
export function downFailure(pr: number, error: unknown): unknown {
    const cause = reportFailure(error);
    if (cause.exitCode !== EXIT.failed) {
        return error;
    }
    return new BotError(
        `${prStackName(pr)} was not removed: its resources could not all be destroyed, so the stack and its state are kept ` +
        `and nothing is orphaned. Fix the cause below, then run \`rollout-bot pr down ${pr}\` again; ` +
        `it picks up where this run stopped.\n${cause.message.replace(/^error: /, "")}`,
        cause.exitCode,
    );
}

/**
 * `pr down <n>`: destroy, then remove. A stack that is already gone is success (closing a PR twice,
 * or a PR that never got a stack). A failed destroy keeps the stack and its state: removing state
 * first would orphan whatever still runs in the cluster.
 */
export async function prDown(command: PrDownCommand, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    ctx.out.progress(`pr down: ${name}`);
    try {
        // A missing stack shows at the first command run on it: the config restore or the destroy.
        const stack = await openStack(name, ctx.settings, ctx.out, false);
        await destroyAndRemove(stack, {
            message: `rollout-bot pr down ${command.pr}`,
            ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
        }, ctx).catch((error: unknown) => {
            throw error instanceof StackNotFoundError ? error : downFailure(command.pr, error);
        });
    } catch (error) {
        if (error instanceof StackNotFoundError) {
            ctx.out.result(`${name} does not exist; nothing to do`, { stack: name, existed: false, removed: false });
            return;
        }
        throw error;
    }
    ctx.out.result(`${name} destroyed and removed`, { stack: name, existed: true, removed: true });
}
