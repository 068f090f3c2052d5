import { prStackName } from "../../lib/naming";
import type { Command } from "../args";
import { prConfigUpdate } from "../configChanges";
import { BotContext } from "../context";
import { previewStack } from "../engine";
import { PreviewCollector, PreviewSummary, renderPreviewMarkdown } from "../previewSummary";
import { openStack } from "../workspace";

/**
 * `pr preview <n>`: what `pr up` would change, as the Markdown a PR comment shows. When the
 * preview itself fails on a policy violation the summary is still printed (the comment must say
 * why the check failed) and the failure still decides the exit code.
 */
export async function prPreview(command: Extract<Command, { kind: "pr preview" }>, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    ctx.out.progress(`pr preview: ${name} at image tag ${command.imageTag}`);
    const stack = await openStack(name, ctx.settings, ctx.out, true);
    const collector = new PreviewCollector();
    const print = (summary: PreviewSummary) => {
        const markdown = renderPreviewMarkdown(summary);
        ctx.out.result(markdown, { ...summary, markdown });
    };
    try {
        const result = await previewStack(stack, (current) => prConfigUpdate(current, command, new Date(ctx.now())), {
            policyPacks: command.policyPacks,
            ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
        }, collector.onEvent, ctx);
        print(collector.summary(name, result.changeSummary));
    } catch (error) {
        const partial = collector.summary(name);
        if (partial.violations.length > 0) {
            print(partial);
        }
        throw error;
    }
}
