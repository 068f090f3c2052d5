import { Command, Option } from "@commander-js/extra-typings";
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { BotContext } from "../context";
import { previewStack } from "../engine";
import { reportFailure } from "../errors";
import {
    BotCommand, examples, invalid, jsonOption, policyPackConfigOption, policyPackOption, prNumber, STACK_HELP, stackName, Updating, updating, waitLockOption,
} from "../options";
import { envSectionId, postCommentSection } from "../prComment";
import { isEmpty, ReleasePlan, ReleasePlanCollector, renderReleasePlan, renderReleasePlanFailure } from "../releasePlan";
import { openStack } from "../workspace";

export type EnvPreviewCommand = {
    readonly kind: "env preview";
    readonly stack: string;
    readonly markdown: boolean;
    /** The pull request whose sticky comment gets the plan (`--comment --pr <n>`); undefined = no comment. */
    readonly commentOn?: number;
} & Updating;

export const envPreviewCommand: BotCommand<EnvPreviewCommand> = {
    declare: (parsed) => new Command("preview")
        .description("Preview a long-lived stack at this checkout's program and config, as a release plan: each Rollout's image from and to, " +
            "restarts, the strategy and its least time, anything replaced or deleted, the promotion gate's refusals. Changes nothing.")
        .argument("<stack>", STACK_HELP, stackName)
        .addOption(new Option("--markdown", "print the plan as the Markdown of a PR comment"))
        .addOption(new Option("--comment", "write the plan, or the failure, into the section env-<stack> of the PR's sticky comment (needs --pr; " +
            "GITHUB_TOKEN, GITHUB_REPOSITORY; GITHUB_API_URL for Enterprise)"))
        .addOption(new Option("--pr <n>", "the pull request --comment writes to").argParser(prNumber))
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(waitLockOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("env preview prod --markdown --policy-pack .policy-base/policy", "env preview dev --json",
            "env preview prod --markdown --comment --pr 123 --policy-pack .policy-base/policy"))
        .action((stack, options) => {
            if (options.comment === true && options.pr === undefined) {
                invalid("--comment needs --pr <n>, the pull request whose comment gets the plan (in a workflow: --pr \"$PR_NUMBER\")");
            }
            if (options.comment !== true && options.pr !== undefined) {
                invalid(`--pr ${options.pr} is only read with --comment; add --comment to post the plan on PR #${options.pr}`);
            }
            parsed({
                kind: "env preview", stack, markdown: options.markdown ?? false,
                ...(options.comment === true && options.pr !== undefined ? { commentOn: options.pr } : {}), ...updating(options),
            });
        }),
    run: envPreview,
};

/** The plan in a terminal's words: one line per Rollout, then the strategy. */
export function describePlan(plan: ReleasePlan): string {
    const lines = [`${plan.stack}: ${isEmpty(plan) ? "no changes" : "release plan"}`];
    for (const refusal of plan.promotionGate) {
        lines.push(...refusal.split("\n").map((line, i) => `  ${i === 0 ? "⚠ promotion gate: " : "  "}${line}`));
    }
    for (const row of plan.destructive) {
        lines.push(`  ! ${row.op} ${row.type} ${row.name}`);
    }
    for (const rollout of plan.rollouts) {
        const what = rollout.change === "release" ? `${rollout.from ?? "?"} -> ${rollout.to ?? "?"}` : rollout.change === "update" ? rollout.fields.join(", ") : rollout.to ?? "";
        lines.push(`  ${rollout.service.padEnd(18)} ${rollout.change.padEnd(8)} ${what}`.trimEnd());
    }
    if (plan.strategy !== undefined && plan.rollouts.some((rollout) => rollout.change === "release")) {
        lines.push(`  strategy: ${plan.strategy.steps.join(" -> ")} (at least ${plan.strategy.minimumSeconds} s)`);
    }
    return lines.join("\n");
}

/** Runs a preview, handing every engine event to `onEvent`; resolves with the engine's change counts. */
export type PlanPreview = (onEvent: (event: EngineEvent) => void) => Promise<{ readonly changeSummary?: OpMap }>;

/**
 * `env preview <stack>`: a preview of the stack exactly as this checkout would `pulumi up` it (its
 * program and its `Pulumi.<stack>.yaml`), rendered as a release plan. The stack's config is left as
 * it is: the plan is of the config the checkout has.
 */
export async function envPreview(command: EnvPreviewCommand, ctx: BotContext): Promise<void> {
    ctx.out.progress(`env preview: ${command.stack}`);
    await reportPlan(command, ctx, async (onEvent) => {
        const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
        return previewStack(stack, () => ({ set: {}, remove: [] }), {
            ...(command.policyPacks === undefined ? {} : { policyPacks: command.policyPacks }),
            ...(command.policyPackConfigs === undefined ? {} : { policyPackConfigs: command.policyPackConfigs }),
            ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
        }, onEvent, ctx);
    });
}

/**
 * Renders what `preview` shows as the release plan, prints it and, with `--comment`, writes it into
 * the PR comment's section of the stack. A preview that fails (a policy refusal, a bad config, a
 * locked or missing stack) writes why into that section and still fails the command with its own
 * exit code, as `pr preview` does.
 */
export async function reportPlan(command: EnvPreviewCommand, ctx: BotContext, preview: PlanPreview): Promise<void> {
    const collector = new ReleasePlanCollector();
    const section = envSectionId(command.stack);
    let plan: ReleasePlan;
    try {
        plan = collector.plan(command.stack, (await preview(collector.onEvent)).changeSummary);
    } catch (error) {
        if (command.commentOn !== undefined) {
            const message = reportFailure(error).message.replace(/^error: /, "");
            await postCommentSection(ctx, command.commentOn, section, renderReleasePlanFailure(command.stack, message, collector.plan(command.stack).promotionGate));
        }
        throw error;
    }
    const markdown = renderReleasePlan(plan);
    const comment = command.commentOn === undefined ? undefined : await postCommentSection(ctx, command.commentOn, section, markdown);
    ctx.out.result(command.markdown ? markdown : describePlan(plan), { ...plan, markdown, ...(comment === undefined ? {} : { comment }) });
}
