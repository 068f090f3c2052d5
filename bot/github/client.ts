import type { retry } from "@octokit/plugin-retry";
import type { throttling, ThrottlingOptions } from "@octokit/plugin-throttling";
import type { Octokit } from "@octokit/rest";
import type Bottleneck from "bottleneck";
import { BotError, EXIT } from "../errors";

/** A repository on GitHub, as the REST API's `owner` and `repo` parameters. */
export interface GitHubRepository {
    readonly owner: string;
    readonly repo: string;
}

/** How the bot reaches GitHub: everything from the environment GitHub Actions sets. */
export interface GitHubSettings {
    /** Undefined when neither GITHUB_TOKEN nor GH_TOKEN is set: the bot then sends nothing. */
    readonly token?: string;
    /** The REST API root without a trailing slash (`https://<host>/api/v3` on GitHub Enterprise Server). */
    readonly baseUrl: string;
    /** From GITHUB_REPOSITORY; undefined outside GitHub Actions. */
    readonly repository?: GitHubRepository;
}

const DEFAULT_BASE_URL = "https://api.github.com";

/** An unset variable and an empty one mean the same: workflows often pass `${{ secrets.X }}`, empty when missing. */
function nonEmpty(value: string | undefined): string | undefined {
    return value === undefined || value === "" ? undefined : value;
}

function apiBaseUrl(value: string | undefined): string {
    if (value === undefined) {
        return DEFAULT_BASE_URL;
    }
    const problem = `GITHUB_API_URL must be the http(s) URL of the GitHub REST API such as ${DEFAULT_BASE_URL} or ` +
        `https://github.example.com/api/v3, got '${value}'; fix it or unset it to use ${DEFAULT_BASE_URL}`;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new BotError(problem, EXIT.usage);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw new BotError(problem, EXIT.usage);
    }
    return value.replace(/\/+$/, "");
}

function repository(value: string | undefined): GitHubRepository | undefined {
    if (value === undefined) {
        return undefined;
    }
    const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
    if (match === null) {
        throw new BotError(`GITHUB_REPOSITORY must be owner/name such as pilab-hu/shop, got '${value}'; ` +
            "set it to the repository the pull requests belong to, or unset it", EXIT.usage);
    }
    return { owner: match[1]!, repo: match[2]! };
}

/**
 * Reads GITHUB_TOKEN (else GH_TOKEN), GITHUB_API_URL and GITHUB_REPOSITORY, so the same bot works
 * in Actions, on GitHub Enterprise Server and on a laptop with `gh auth token` exported.
 */
export function gitHubSettings(env: NodeJS.ProcessEnv): GitHubSettings {
    const token = nonEmpty(env.GITHUB_TOKEN) ?? nonEmpty(env.GH_TOKEN);
    const baseUrl = apiBaseUrl(nonEmpty(env.GITHUB_API_URL));
    const repo = repository(nonEmpty(env.GITHUB_REPOSITORY));
    return { baseUrl, ...(token === undefined ? {} : { token }), ...(repo === undefined ? {} : { repository: repo }) };
}

/** The REST client the bot's GitHub helpers take: Octokit with the retry and throttling plugins. */
export type GitHubClient = Octokit & ReturnType<typeof retry> & ReturnType<typeof throttling>;

/**
 * Octokit, its plugins and Bottleneck, loaded with the first client: most commands never talk to
 * GitHub, and loading them is ~50 ms of every start.
 */
function octokitModules() {
    /* eslint-disable @typescript-eslint/no-require-imports */
    return {
        Octokit: (require("@octokit/rest") as typeof import("@octokit/rest")).Octokit,
        retry: (require("@octokit/plugin-retry") as typeof import("@octokit/plugin-retry")).retry,
        throttling: (require("@octokit/plugin-throttling") as typeof import("@octokit/plugin-throttling")).throttling,
        Bottleneck: require("bottleneck") as typeof Bottleneck,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
}

export interface GitHubClientOptions {
    /** Where rate-limit waits and Octokit's warnings and errors go, one line each. */
    readonly log: (line: string) => void;
    /** Milliseconds waited per second of GitHub's retry-after (and per step of the retry backoff). @default 1000 */
    readonly retryAfterBaseMs?: number;
    /**
     * Minimum milliseconds between two writes, comment creation included.
     * @default 1000 between writes and 3000 between writes that notify, as GitHub asks of integrations
     */
    readonly minWriteIntervalMs?: number;
}

/** Retries after a rate limit before the request fails; GitHub's reset can be an hour away. */
const RATE_LIMIT_RETRIES = 2;

/**
 * An Octokit that waits out rate limits (twice) and retries server errors, or undefined without
 * a token: nothing is ever sent to GitHub unauthenticated.
 */
export function createGitHubClient(settings: GitHubSettings, options: GitHubClientOptions): GitHubClient | undefined {
    if (settings.token === undefined) {
        return undefined;
    }
    const { Octokit, retry, throttling, Bottleneck } = octokitModules();
    const { log } = options;
    // The plugin retries when the handler returns true, although its type says void.
    const onLimit = (kind: string): NonNullable<ThrottlingOptions["onRateLimit"]> => (retryAfter, request, octokit, retryCount) => {
        const retrying = retryCount < RATE_LIMIT_RETRIES;
        log(`GitHub ${kind} rate limit on ${request.method} ${octokit.request.endpoint.parse(request).url}: retry-after ${retryAfter}s, ` +
            (retrying ? `retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES}` : `giving up after ${RATE_LIMIT_RETRIES} retries`));
        return retrying;
    };
    // The plugin spaces writes through process-wide Bottleneck groups (1 s; 3 s for writes that
    // notify, such as a new comment); a shorter interval needs groups of this client's own.
    const interval = options.minWriteIntervalMs;
    const writeGroups = interval === undefined ? {} : {
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
        notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
    };
    const base = options.retryAfterBaseMs === undefined ? {} : { retryAfterBaseValue: options.retryAfterBaseMs };
    return new (Octokit.plugin(retry, throttling))({
        auth: settings.token,
        baseUrl: settings.baseUrl,
        userAgent: "rollout-bot",
        log: {
            debug: () => undefined,
            info: () => undefined,
            warn: (message: string) => log(`GitHub warning: ${message}`),
            error: (message: string) => log(`GitHub error: ${message}`),
        },
        retry: base,
        throttle: { ...base, ...writeGroups, onRateLimit: onLimit("primary"), onSecondaryRateLimit: onLimit("secondary") },
    });
}
