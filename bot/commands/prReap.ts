import { Command } from "@commander-js/extra-typings";
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { prNumberOfStack } from "../../lib/naming";
import { CheckoutLockedError } from "../checkoutLock";
import { activeUpdate } from "../configChanges";
import { BotContext } from "../context";
import { formatDuration } from "../duration";
import { destroyAndRemove, updateStack } from "../engine";
import { BotError, EXIT, reportFailure } from "../errors";
import { openPullRequestLabels } from "../github/pullRequests";
import { BotCommand, common, Common, duration, examples, invalid, jsonOption, keepLabelOption } from "../options";
import { activityFromHistory, decideReaping, isPrStack, REAPER_MESSAGE, ReapDecision } from "../reaper";
import { listStacks, openStack, stackHistories } from "../workspace";

export type PrReapCommand = {
    readonly kind: "pr reap"; readonly idleMs: number; readonly destroyAfterMs?: number; readonly keepLabel: string; readonly yes: boolean;
} & Common;

export const prReapCommand: BotCommand<PrReapCommand> = {
    declare: (parsed) => new Command("reap")
        .description("Pause PR stacks idle longer than their pr.ttlHours (else --idle) and destroy those idle longer than --destroy-after. A dry run unless --yes.")
        .requiredOption("--idle <duration>", "pause PR stacks without an update for this long unless their pr.ttlHours says otherwise, e.g. 1h", duration("--idle"))
        .option("--destroy-after <duration>", "destroy and remove PR stacks without an update for this long, e.g. 7d; a longer pr.ttlHours postpones it as much",
            duration("--destroy-after"))
        .addOption(keepLabelOption())
        .option("--yes", "act; without it, only print what would be done")
        .addOption(jsonOption())
        .addHelpText("after", examples("pr reap --idle 1h", "pr reap --idle 1h --destroy-after 7d --yes"))
        .action((options) => {
            const { idle, destroyAfter } = options;
            if (destroyAfter !== undefined && destroyAfter <= idle) {
                invalid(`--destroy-after (${formatDuration(destroyAfter)}) must be longer than --idle (${formatDuration(idle)}): stacks are paused before they are destroyed`);
            }
            parsed({
                kind: "pr reap", idleMs: idle, ...(destroyAfter === undefined ? {} : { destroyAfterMs: destroyAfter }),
                keepLabel: options.keepLabel, yes: options.yes ?? false, ...common(options),
            });
        }),
    run: prReap,
};

/** How many history entries tell a PR stack's last activity: the reaper adds at most one pause on top. */
const HISTORY_PAGE = 10;

type Outcome = "dry run" | "done" | "skipped: another update is running" | `failed: ${string}`;

/**
 * `pr reap`: pauses idle PR stacks and destroys long-idle ones, each by its own pr.ttlHours when it
 * has one, and never a PR labelled --keep-label. A dry run unless --yes. A stack that is being
 * updated right now is skipped (it is not idle, and the next run sees it); any other failure is
 * reported and the rest are still reaped.
 */
export async function prReap(command: PrReapCommand, ctx: BotContext): Promise<void> {
    const now = new Date(ctx.now());
    const names = (await listStacks(ctx.settings)).map((summary) => summary.name).filter(isPrStack);
    ctx.out.progress(`pr reap: ${names.length} PR stack(s); pause after ${formatDuration(command.idleMs)}` +
        (command.destroyAfterMs === undefined ? "" : `, destroy after ${formatDuration(command.destroyAfterMs)}`) +
        (command.yes ? "" : " (dry run: pass --yes to act)"));
    const labels = await pullRequestLabels(command, ctx);
    const histories = await stackHistories(names, ctx.settings, HISTORY_PAGE);
    const activities = names.map((name) => {
        const activity = activityFromHistory(name, histories.get(name) ?? []);
        return labels === undefined ? activity : { ...activity, labels: labels.get(prNumberOfStack(name) ?? 0) ?? [] };
    });
    const decisions = decideReaping(activities, command, now);
    const outcomes: { decision: ReapDecision; outcome: Outcome }[] = [];
    for (const decision of decisions) {
        outcomes.push({ decision, outcome: decision.action === "keep" ? "done" : command.yes ? await act(decision, ctx) : "dry run" });
    }
    const lines = outcomes.map(({ decision, outcome }) => {
        const verb = decision.action === "keep" ? "keep" : outcome === "dry run" ? `would ${decision.action}` : decision.action;
        const suffix = decision.action === "keep" || outcome === "done" || outcome === "dry run" ? "" : ` [${outcome}]`;
        return `${decision.stack.padEnd(12)} ${verb.padEnd(16)} ${decision.reason}${suffix}`;
    });
    ctx.out.result(lines.length === 0 ? "no PR stacks" : lines.join("\n"), {
        dryRun: !command.yes,
        now: now.toISOString(),
        decisions: outcomes.map(({ decision, outcome }) => ({ ...decision, outcome: decision.action === "keep" ? "kept" : outcome })),
    });
    const failed = outcomes.filter(({ outcome }) => outcome.startsWith("failed"));
    if (failed.length > 0) {
        throw new BotError(`${failed.length} PR stack(s) could not be reaped: ${failed.map(({ decision }) => decision.stack).join(", ")}`, EXIT.failed);
    }
}

async function act(decision: ReapDecision, ctx: BotContext): Promise<Outcome> {
    try {
        const stack = await openStack(decision.stack, ctx.settings, ctx.out, false);
        if (decision.action === "pause") {
            await updateStack(stack, () => activeUpdate(false), { message: `${REAPER_MESSAGE} ${formatDuration(decision.idleMs ?? 0)}` }, ctx);
        } else {
            await destroyAndRemove(stack, { message: `rollout-bot pr reap: destroyed after idling ${formatDuration(decision.idleMs ?? 0)}` }, ctx);
        }
        return "done";
    } catch (error) {
        if (error instanceof ConcurrentUpdateError || error instanceof CheckoutLockedError) {
            return "skipped: another update is running";
        }
        const report = reportFailure(error);
        ctx.out.error(`${decision.stack}: ${report.message}`);
        return `failed: ${report.message.split("\n")[0]!.replace(/^error: /, "")}`;
    }
}

/**
 * Every open PR's labels, when a keep label is to be honoured. Acting without them could destroy a
 * PR that asked to be kept, so `--yes` then refuses to start; a dry run goes on and says so.
 */
async function pullRequestLabels(command: PrReapCommand, ctx: BotContext): Promise<Map<number, string[]> | undefined> {
    if (command.keepLabel === "") {
        return undefined;
    }
    const { settings, client } = ctx.gitHub();
    if (client !== undefined && settings.repository !== undefined) {
        return openPullRequestLabels(client, settings.repository);
    }
    const missing = client === undefined ? "GITHUB_TOKEN" : "GITHUB_REPOSITORY";
    if (command.yes) {
        throw new BotError(`pr reap --yes must read the PRs' labels to keep those labelled ${command.keepLabel}, but ${missing} is not set; ` +
            "set GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name), or pass --keep-label '' to reap without a keep label. Nothing was changed.", EXIT.usage);
    }
    ctx.out.progress(`  ${missing} is not set: labels not read, so the dry run does not show which PRs ${command.keepLabel} keeps`);
    return undefined;
}
