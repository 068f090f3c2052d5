import type { ConfigMap, OutputMap } from "@pulumi/pulumi/automation";
import { prStackName } from "../../lib/naming";
import { toRfc3339Utc } from "../../lib/timestamp";
import { prConfigUpdate } from "../configChanges";
import { BotContext, plainOutputs } from "../context";
import { updateOptions, updateStack } from "../engine";
import { reportFailure } from "../errors";
import { BotCommand, examples, PrSpec, prSpec, prSpecCommand, Updating, updating } from "../options";
import { CommentOutcome, postCommentSection, renderEnvironmentSection } from "../prComment";
import { explainUnready } from "../unreadyServices";
import { serviceStates, ServiceState } from "../workloads";
import { openStack } from "../workspace";

export type PrUpCommand = { readonly kind: "pr up" } & PrSpec & Updating;

export const prUpCommand: BotCommand<PrUpCommand> = {
    declare: (parsed) => prSpecCommand("up",
        "Create or update the stack pr-<n> at an image tag and print its URL. Safe to repeat; also resumes a paused PR. " +
        "A mutable tag (pr-<n>) restarts every service on each run.")
        .addHelpText("after", examples("pr up 123 --image-tag pr-123-1a2b3c4 --comment", "pr up 123 --image-tag pr-123 --services cart-service,order-service"))
        .action((pr, options) => parsed({ kind: "pr up", ...prSpec(pr, options), ...updating(options) })),
    run: prUp,
};

/** The human lines for a PR stack's outputs: URL, namespace, and each service's image. */
export function describePrOutputs(stack: string, outputs: OutputMap): string {
    const values = plainOutputs(outputs);
    const services = (values.services ?? {}) as Record<string, { image?: string }>;
    return [
        `${stack} is up at ${String(values.url)}`,
        `  namespace      ${String(values.namespace)}`,
        `  active         ${String(values.active)}`,
        `  lastDeployedAt ${values.lastDeployedAt === null || values.lastDeployedAt === undefined ? "(none)" : String(values.lastDeployedAt)}`,
        "  services:",
        ...Object.entries(services).map(([name, service]) => `    ${name.padEnd(18)} ${service.image ?? ""}`),
    ].join("\n");
}

/**
 * `pr up <n>`: create or select pr-<n>, write its config through the contract, update. With
 * --comment, the PR's sticky comment gets the URL and each service's image and live state, or the
 * failure when the update failed.
 */
export async function prUp(command: PrUpCommand, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    ctx.out.progress(`pr up: ${name} at image tag ${command.imageTag}`);
    const stack = await openStack(name, ctx.settings, ctx.out, true);
    const report = { stack: name, imageTag: command.imageTag };
    let result: Awaited<ReturnType<typeof updateStack>>;
    try {
        result = await updateStack(stack, (current) => prConfigUpdate(current, command, new Date(ctx.now())), updateOptions(command, `rollout-bot pr up ${command.pr} --image-tag ${command.imageTag}`), ctx);
    } catch (caught) {
        const error = await explainUnready(caught, stack, ctx);
        if (command.comment) {
            const failure = reportFailure(error).message.replace(/^error: /, "");
            await postCommentSection(ctx, command.pr, "environment", renderEnvironmentSection({ ...report, at: now(ctx), failure }));
        }
        throw error;
    }
    const outputs = plainOutputs(result.outputs);
    let comment: CommentOutcome | undefined;
    let services: ServiceState[] | undefined;
    if (command.comment) {
        services = await liveStates(ctx, await stack.getAllConfig(), outputs);
        comment = await postCommentSection(ctx, command.pr, "environment",
            renderEnvironmentSection({ ...report, at: now(ctx), url: String(outputs.url), ...(services === undefined ? {} : { services }) }));
    }
    ctx.out.result(describePrOutputs(name, result.outputs), {
        stack: name, url: outputs.url, outputs, changes: result.summary.resourceChanges ?? {},
        ...(services === undefined ? {} : { serviceStates: services }),
        ...(comment === undefined ? {} : { comment }),
    });
}

function now(ctx: BotContext): string {
    return toRfc3339Utc(new Date(ctx.now()));
}

/** Each service's live state for the comment; a cluster that cannot be read leaves the states out, with a warning. */
async function liveStates(ctx: BotContext, config: ConfigMap, outputs: Record<string, unknown>): Promise<ServiceState[] | undefined> {
    const names = Object.keys((outputs.services ?? {}) as Record<string, unknown>);
    try {
        return await serviceStates(await ctx.workloadApi(config), String(outputs.namespace), names);
    } catch (error) {
        ctx.out.error(`warning: could not read the services' state from the cluster: ${String((error as Error).message ?? error).split("\n")[0]}`);
        return undefined;
    }
}
