import { prStackName } from "../../lib/naming";
import { prConfigUpdate } from "../configChanges";
import { BotContext } from "../context";
import { previewStack } from "../engine";
import { reportFailure } from "../errors";
import { BotCommand, examples, PrSpec, prSpec, prSpecCommand, Updating, updating } from "../options";
import { CommentOutcome, postCommentSection } from "../prComment";
import { PreviewCollector, PreviewSummary, renderPreviewMarkdown } from "../previewSummary";
import { openStack } from "../workspace";

export type PrPreviewCommand = { readonly kind: "pr preview" } & PrSpec & Updating;

export const prPreviewCommand: BotCommand<PrPreviewCommand> = {
    declare: (parsed) => prSpecCommand("preview", "Preview what `pr up` would change and print a Markdown summary for the PR comment. Changes nothing.")
        .addHelpText("after", examples("pr preview 123 --image-tag pr-123-1a2b3c4", "pr preview 123 --image-tag pr-123-1a2b3c4 --policy-pack policy --comment"))
        .action((pr, options) => parsed({ kind: "pr preview", ...prSpec(pr, options), ...updating(options) })),
    run: prPreview,
};

/**
 * `pr preview <n>`: what `pr up` would change, as the Markdown a PR comment shows. When the
 * preview itself fails on a policy violation the summary is still printed (the comment must say
 * why the check failed) and the failure still decides the exit code. With --comment the summary,
 * or the failure, goes into the PR's sticky comment.
 */
export async function prPreview(command: PrPreviewCommand, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    ctx.out.progress(`pr preview: ${name} at image tag ${command.imageTag}`);
    const stack = await openStack(name, ctx.settings, ctx.out, true);
    const collector = new PreviewCollector();
    const publish = async (summary: PreviewSummary) => {
        const markdown = renderPreviewMarkdown(summary);
        const comment = command.comment ? await postCommentSection(ctx, command.pr, "preview", markdown) : undefined;
        ctx.out.result(markdown, { ...summary, markdown, ...(comment === undefined ? {} : { comment }) });
    };
    try {
        const result = await previewStack(stack, (current) => prConfigUpdate(current, command, new Date(ctx.now())), {
            policyPacks: command.policyPacks,
            ...(command.policyPackConfigs === undefined ? {} : { policyPackConfigs: command.policyPackConfigs }),
            ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
        }, collector.onEvent, ctx);
        await publish(collector.summary(name, result.changeSummary));
    } catch (error) {
        const partial = collector.summary(name);
        if (partial.violations.length > 0) {
            await publish(partial);
        } else if (command.comment) {
            await postFailure(ctx, command.pr, name, error);
        }
        throw error;
    }
}

/** A preview that failed before it could judge anything (bad config, a locked stack) still tells the PR why. */
async function postFailure(ctx: BotContext, pr: number, stack: string, error: unknown): Promise<CommentOutcome> {
    const message = reportFailure(error).message.replace(/^error: /, "").trim();
    return postCommentSection(ctx, pr, "preview", [`### Pulumi preview of \`${stack}\``, "", ":x: **The preview failed:**", "", "```", message, "```"].join("\n"));
}
