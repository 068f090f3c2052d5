import { Command, Option } from "@commander-js/extra-typings";
import { BotContext } from "../context";
import { previewStack } from "../engine";
import {
    BotCommand, examples, jsonOption, policyPackConfigOption, policyPackOption, STACK_HELP, stackName, Updating, updating, waitLockOption,
} from "../options";
import { isEmpty, ReleasePlan, ReleasePlanCollector, renderReleasePlan } from "../releasePlan";
import { openStack } from "../workspace";

export type EnvPreviewCommand = { readonly kind: "env preview"; readonly stack: string; readonly markdown: boolean } & Updating;

export const envPreviewCommand: BotCommand<EnvPreviewCommand> = {
    declare: (parsed) => new Command("preview")
        .description("Preview a long-lived stack at this checkout's program and config, as a release plan: each Rollout's image from and to, " +
            "restarts, the strategy and its least time, anything replaced or deleted. Changes nothing.")
        .argument("<stack>", STACK_HELP, stackName)
        .addOption(new Option("--markdown", "print the plan as the Markdown of a PR comment"))
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(waitLockOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("env preview prod --markdown --policy-pack .policy-base/policy", "env preview dev --json"))
        .action((stack, options) => parsed({ kind: "env preview", stack, markdown: options.markdown ?? false, ...updating(options) })),
    run: envPreview,
};

/** The plan in a terminal's words: one line per Rollout, then the strategy. */
export function describePlan(plan: ReleasePlan): string {
    const lines = [`${plan.stack}: ${isEmpty(plan) ? "no changes" : "release plan"}`];
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

/**
 * `env preview <stack>`: a preview of the stack exactly as this checkout would `pulumi up` it (its
 * program and its `Pulumi.<stack>.yaml`), rendered as a release plan. The stack's config is left as
 * it is: the plan is of the config the checkout has.
 */
export async function envPreview(command: EnvPreviewCommand, ctx: BotContext): Promise<void> {
    ctx.out.progress(`env preview: ${command.stack}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const collector = new ReleasePlanCollector();
    const result = await previewStack(stack, () => ({ set: {}, remove: [] }), {
        ...(command.policyPacks === undefined ? {} : { policyPacks: command.policyPacks }),
        ...(command.policyPackConfigs === undefined ? {} : { policyPackConfigs: command.policyPackConfigs }),
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
    }, collector.onEvent, ctx);
    const plan = collector.plan(command.stack, result.changeSummary);
    const markdown = renderReleasePlan(plan);
    ctx.out.result(command.markdown ? markdown : describePlan(plan), { ...plan, markdown });
}
