import { BotContext } from "./context";
import { reportFailure } from "./errors";
import { upsertCommentSection } from "./github/stickyComment";
import type { ServiceState } from "./workloads";

/**
 * The pull request's one sticky comment (docs/release-bot.md): `pr up` writes the `environment`
 * section, `pr preview` the `preview` section, `env preview <stack>` a section `env-<stack>` per
 * long-lived stack, and each keeps the others'.
 */

/** Section ids in the order the comment shows them; other stacks' `env-` sections follow in the order they came. */
export const COMMENT_SECTIONS = ["environment", "preview", "env-dev", "env-prod"] as const;
export type CommentSectionId = "environment" | "preview" | `env-${string}`;

/** The section of `env preview <stack>`: `env-prod` for `prod` (and for `org/project/prod`). */
export function envSectionId(stack: string): CommentSectionId {
    const name = stack.split("/").pop() ?? stack;
    return `env-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
}

/** What happened to the comment; a comment never fails the command it reports on. */
export type CommentOutcome =
    | { readonly posted: true; readonly action: "created" | "updated" | "unchanged"; readonly url: string }
    | { readonly posted: false; readonly reason: string };

/** What `pr up` tells the pull request. */
export interface EnvironmentReport {
    readonly stack: string;
    readonly imageTag: string;
    /** When the bot ran, RFC3339 UTC. */
    readonly at: string;
    readonly url?: string;
    readonly services?: readonly ServiceState[];
    /** The update failed: its message, shown instead of a healthy report. */
    readonly failure?: string;
}

const STATE_WORD: Readonly<Record<ServiceState["state"], string>> = {
    ready: "ready",
    progressing: "progressing",
    paused: "paused (0 replicas)",
    failed: "**failed**",
    missing: "not deployed",
};

function code(text: string): string {
    return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}

function stateCell(state: ServiceState): string {
    const word = STATE_WORD[state.state];
    const detail = state.reason === undefined ? "" : `: ${state.reason}`;
    return state.state === "missing" ? word : `${word}${detail} (${state.ready} ready)`;
}

/** The newest rollout of any service: when this environment last changed what it runs. */
export function lastRollout(services: readonly ServiceState[]): string | undefined {
    return services.map((s) => s.rolledOutAt).filter((at): at is string => at !== undefined).sort().at(-1);
}

/** The `environment` section: URL, last rollout, and each service's image and state; or the failure. */
export function renderEnvironmentSection(report: EnvironmentReport): string {
    const lines = [`### PR environment \`${report.stack}\``, ""];
    if (report.failure !== undefined) {
        lines.push(`:x: **\`pr up\` failed** at ${report.at} for image tag ${code(report.imageTag)}:`, "", "```", report.failure.trim(), "```");
        return lines.join("\n");
    }
    const services = report.services ?? [];
    const failed = services.filter((s) => s.state === "failed");
    const verdict = failed.length > 0
        ? `:x: ${failed.length} of ${services.length} services failed`
        : services.every((s) => s.state === "ready") ? ":white_check_mark: all services ready" : ":hourglass: rolling out";
    const rolled = lastRollout(services);
    lines.push(
        `**URL:** ${report.url ?? "(none)"}`,
        `**Image tag:** ${code(report.imageTag)} · **Last rollout:** ${rolled ?? "(none)"} · **Updated:** ${report.at}`,
        "",
        verdict,
        "",
        "| Service | Image | State |",
        "| --- | --- | --- |",
        ...services.map((s) => `| ${code(s.service)} | ${s.image === undefined ? "" : code(s.image)} | ${stateCell(s)} |`),
    );
    return lines.join("\n");
}

/**
 * Writes one section of pull request `pr`'s comment. Nothing is sent without a token and a
 * repository; GitHub's failures (after the client's retries) are reported, not thrown, because the
 * environment the comment describes is already what it is.
 */
export async function postCommentSection(ctx: BotContext, pr: number, id: CommentSectionId, markdown: string): Promise<CommentOutcome> {
    let gitHub: ReturnType<BotContext["gitHub"]>;
    try {
        gitHub = ctx.gitHub();
    } catch (error) {
        return skipped(ctx, reportFailure(error).message.replace(/^error: /, ""));
    }
    const { settings, client } = gitHub;
    if (client === undefined) {
        return skipped(ctx, "no GITHUB_TOKEN (or GH_TOKEN) in the environment");
    }
    if (settings.repository === undefined) {
        return skipped(ctx, "no GITHUB_REPOSITORY (owner/name) in the environment");
    }
    try {
        const result = await upsertCommentSection(client, { ...settings.repository, issueNumber: pr }, { id, markdown }, COMMENT_SECTIONS);
        ctx.out.progress(`  PR comment ${result.action}: ${result.url}`);
        return { posted: true, action: result.action, url: result.url };
    } catch (error) {
        return skipped(ctx, `GitHub refused it: ${reportFailure(error).message.replace(/^error: /, "").split("\n")[0]}`);
    }
}

function skipped(ctx: BotContext, reason: string): CommentOutcome {
    ctx.out.error(`warning: the PR comment was not posted: ${reason}`);
    return { posted: false, reason };
}
