import { Command, Option } from "@commander-js/extra-typings";
import { BotContext } from "../context";
import { readHistory } from "../history";
import { describeServiceImage, serviceReleases } from "../imageHistory";
import { BotCommand, Common, common, examples, invalid, jsonOption, serviceName, STACK_HELP, stackName } from "../options";
import { openStack } from "../workspace";

export type HistoryCommand = { readonly kind: "history"; readonly stack: string; readonly service: string; readonly limit: number } & Common;

const DEFAULT_LIMIT = 10;

export const historyCommand: BotCommand<HistoryCommand> = {
    declare: (parsed) => new Command("history")
        .description("List a service's releases from the stack's update history: update, time, image, outcome, and what made it.")
        .argument("<stack>", STACK_HELP, stackName)
        .argument("<service>", "the service", serviceName)
        .addOption(new Option("--limit <n>", `show at most this many releases (default ${DEFAULT_LIMIT})`).argParser((text) => {
            const n = Number(text);
            return Number.isInteger(n) && n > 0 && /^\d+$/.test(text) ? n : invalid(`--limit must be a positive whole number, got '${text}'`);
        }))
        .addOption(jsonOption())
        .addHelpText("after", examples("history prod cart-service", "history prod cart-service --limit 3 --json"))
        .action((stack, service, options) => parsed({ kind: "history", stack, service, limit: options.limit ?? DEFAULT_LIMIT, ...common(options) })),
    run: history,
};

/**
 * `history <stack> <service>`: the service's releases, newest first, as `kubectl argo rollouts
 * history` would list revisions; `undo --to <update>` takes the update numbers it shows.
 */
export async function history(command: HistoryCommand, ctx: BotContext): Promise<void> {
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    // The whole history (up to its page limit): on a self-managed backend it numbers the updates.
    const updates = await readHistory(stack, () => false);
    const releases = serviceReleases(updates, command.service).slice(0, command.limit);
    const lines = releases.map((r) => `  ${String(r.update).padStart(5)}  ${r.at}  ${r.result.padEnd(10)} ${describeServiceImage(r).padEnd(50)} ${r.by}`);
    ctx.out.result(
        releases.length === 0
            ? `${command.stack} has no update of ${command.service} in its history`
            : [`${command.service} in ${command.stack}, newest first:`, `  ${"UPDATE".padStart(5)}  ${"TIME".padEnd(20)}  ${"RESULT".padEnd(10)} ${"IMAGE".padEnd(50)} BY`, ...lines].join("\n"),
        { stack: command.stack, service: command.service, releases },
    );
}
