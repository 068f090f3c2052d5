import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import type { Command } from "../args";
import { CheckoutLockedError } from "../checkoutLock";
import { activeUpdate } from "../configChanges";
import { BotContext } from "../context";
import { formatDuration } from "../duration";
import { destroyAndRemove, updateStack } from "../engine";
import { BotError, EXIT, reportFailure } from "../errors";
import { activityFromHistory, decideReaping, isPrStack, REAPER_MESSAGE, ReapDecision } from "../reaper";
import { listStacks, openStack, stackHistory } from "../workspace";

/** How many history entries tell a PR stack's last activity: the reaper adds at most one pause on top. */
const HISTORY_PAGE = 10;

type Outcome = "dry run" | "done" | "skipped: another update is running" | `failed: ${string}`;

/**
 * `pr reap`: pauses idle PR stacks and destroys long-idle ones. A dry run unless --yes. A stack
 * that is being updated right now is skipped (it is not idle, and the next run sees it); any
 * other failure is reported and the rest are still reaped.
 */
export async function prReap(command: Extract<Command, { kind: "pr reap" }>, ctx: BotContext): Promise<void> {
    const now = new Date(ctx.now());
    const names = (await listStacks(ctx.settings)).map((summary) => summary.name).filter(isPrStack);
    ctx.out.progress(`pr reap: ${names.length} PR stack(s); pause after ${formatDuration(command.idleMs)}` +
        (command.destroyAfterMs === undefined ? "" : `, destroy after ${formatDuration(command.destroyAfterMs)}`) +
        (command.yes ? "" : " (dry run: pass --yes to act)"));
    const activities = [];
    for (const name of names) {
        activities.push(activityFromHistory(name, await stackHistory(name, ctx.settings, HISTORY_PAGE)));
    }
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
