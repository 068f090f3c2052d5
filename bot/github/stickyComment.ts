import { BotError, EXIT } from "../errors";
import { GitHubClient, GitHubRepository } from "./client";

/**
 * One comment per pull request that several bot commands share, each owning a named section
 * (`pr preview` writes `preview`, `pr up` writes `environment`), so a PR gets one comment that
 * stays current instead of one per run.
 */

/** The first line of the bot's comment; a comment whose body does not start with it is not ours. */
export const COMMENT_MARKER = "<!-- rollout-bot:pr-comment -->";

const SECTION_ID = /^[a-z][a-z0-9-]*$/;
const SECTION = /^<!-- rollout-bot:section ([a-z][a-z0-9-]*) -->\n([\s\S]*?)\n<!-- rollout-bot:end \1 -->$/gm;
const BOUNDARY = /^<!-- rollout-bot:(section|end) /m;

/** Attempts at writing a section that a concurrent writer keeps overwriting. */
const MAX_ATTEMPTS = 3;

/** The pull request (or issue) the comment is on. */
export interface CommentTarget extends GitHubRepository {
    readonly issueNumber: number;
}

/** A section as a command writes it. */
export interface CommentSection {
    readonly id: string;
    readonly markdown: string;
}

export interface UpsertResult {
    readonly action: "created" | "updated" | "unchanged";
    /** The comment holding the section now. */
    readonly id: number;
    readonly url: string;
}

/** Trailing newlines do not survive a round trip through the body format; comments edited on github.com come back with CRLF. */
function normalize(markdown: string): string {
    return markdown.replace(/\r\n/g, "\n").replace(/\n+$/, "");
}

function checkSection(id: string, markdown: string): void {
    if (!SECTION_ID.test(id)) {
        throw new Error(`comment section id '${id}' must match ${SECTION_ID.source}`);
    }
    if (BOUNDARY.test(markdown)) {
        throw new Error(`the markdown of comment section '${id}' has a line starting '<!-- rollout-bot:section' or ` +
            "'<!-- rollout-bot:end', which would cut the comment's sections apart");
    }
}

/** The sections of one of our comment bodies, in body order; empty for a body that is not ours. */
export function readSections(body: string): Map<string, string> {
    const text = body.replace(/\r\n/g, "\n");
    const sections = new Map<string, string>();
    if (!text.startsWith(COMMENT_MARKER)) {
        return sections;
    }
    for (const match of text.matchAll(SECTION)) {
        sections.set(match[1]!, match[2]!);
    }
    return sections;
}

/** The comment body: the marker, then the sections in `order`, then any others in their existing order. */
export function renderComment(sections: ReadonlyMap<string, string>, order: readonly string[]): string {
    const ids = [...order.filter((id) => sections.has(id)), ...[...sections.keys()].filter((id) => !order.includes(id))];
    const parts = ids.map((id) => {
        const markdown = normalize(sections.get(id)!);
        checkSection(id, markdown);
        return `<!-- rollout-bot:section ${id} -->\n${markdown}\n<!-- rollout-bot:end ${id} -->`;
    });
    return [COMMENT_MARKER, ...parts].join("\n");
}

/** `existingBody` with section `id` set to `markdown` and every other section kept. */
export function mergeSection(existingBody: string | undefined, id: string, markdown: string, order: readonly string[]): string {
    const sections = readSections(existingBody ?? "");
    sections.set(id, markdown);
    return renderComment(sections, order);
}

interface OurComment {
    readonly id: number;
    readonly body: string;
    readonly url: string;
}

/** Every comment of ours on the PR, oldest first. Authors are not checked: a GitHub App or a PAT is not a `Bot`. */
async function ourComments(client: GitHubClient, target: CommentTarget): Promise<OurComment[]> {
    const comments = await client.paginate(client.rest.issues.listComments,
        { owner: target.owner, repo: target.repo, issue_number: target.issueNumber, per_page: 100 });
    return comments.filter((comment) => comment.body?.startsWith(COMMENT_MARKER))
        .map((comment) => ({ id: comment.id, body: comment.body!, url: comment.html_url }))
        .sort((a, b) => a.id - b.id);
}

/** `body` with our section set and the sections of folded duplicates added where it has none of that name. */
function withSections(body: string, section: CommentSection, folded: ReadonlyMap<string, string>, order: readonly string[]): string {
    const sections = readSections(body);
    for (const [id, markdown] of folded) {
        if (!sections.has(id)) {
            sections.set(id, markdown);
        }
    }
    sections.set(section.id, section.markdown);
    return renderComment(sections, order);
}

/**
 * Writes the section into `comment` and reads it back, writing again when a concurrent writer
 * (another job's read-modify-write of the same comment) put back an older body over ours.
 */
async function writeSection(client: GitHubClient, target: CommentTarget, comment: OurComment, section: CommentSection,
    folded: ReadonlyMap<string, string>, order: readonly string[]): Promise<"updated" | "unchanged"> {
    const repo = { owner: target.owner, repo: target.repo, comment_id: comment.id };
    const expected = normalize(section.markdown);
    let body = comment.body;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const merged = withSections(body, section, folded, order);
        if (merged === body) {
            return "unchanged";
        }
        await client.rest.issues.updateComment({ ...repo, body: merged });
        body = (await client.rest.issues.getComment(repo)).data.body ?? "";
        const written = readSections(body);
        if (written.get(section.id) === expected && [...folded.keys()].every((id) => written.has(id))) {
            return "updated";
        }
    }
    throw new BotError(`the section '${section.id}' of PR comment ${comment.url} was overwritten by a concurrent writer ` +
        `${MAX_ATTEMPTS} times in a row; run the command again once the other jobs on PR #${target.issueNumber} have finished`, EXIT.failed);
}

/** A duplicate another job already deleted is gone either way. */
async function deleteDuplicate(client: GitHubClient, target: CommentTarget, id: number): Promise<void> {
    try {
        await client.rest.issues.deleteComment({ owner: target.owner, repo: target.repo, comment_id: id });
    } catch (error) {
        if ((error as { status?: unknown }).status !== 404) {
            throw error;
        }
    }
}

/**
 * Sets one section of the PR's bot comment, creating the comment when the PR has none. Two jobs
 * that both create one are reconciled: the oldest comment keeps every section and the newer ones
 * are deleted. GitHub's errors (after the client's retries) propagate unchanged.
 */
export async function upsertCommentSection(client: GitHubClient, target: CommentTarget, section: CommentSection,
    order: readonly string[]): Promise<UpsertResult> {
    checkSection(section.id, section.markdown);
    let comments = await ourComments(client, target);
    let createdId: number | undefined;
    if (comments.length === 0) {
        const { data } = await client.rest.issues.createComment({
            owner: target.owner, repo: target.repo, issue_number: target.issueNumber,
            body: mergeSection(undefined, section.id, section.markdown, order),
        });
        createdId = data.id;
        comments = await ourComments(client, target);
        // Alone, or not listed yet: done. Otherwise another job raced us (and may have folded ours already).
        if (comments.length === 0 || (comments.length === 1 && comments[0]!.id === data.id)) {
            return { action: "created", id: data.id, url: data.html_url };
        }
    }
    const [oldest, ...newer] = comments as [OurComment, ...OurComment[]];
    const folded = new Map<string, string>();
    for (const duplicate of newer) {
        for (const [id, markdown] of readSections(duplicate.body)) {
            if (!folded.has(id)) {
                folded.set(id, markdown);
            }
        }
    }
    const outcome = await writeSection(client, target, oldest, section, folded, order);
    for (const duplicate of newer) {
        await deleteDuplicate(client, target, duplicate.id);
    }
    return { action: oldest.id === createdId ? "created" : outcome, id: oldest.id, url: oldest.url };
}
