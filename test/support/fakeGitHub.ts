import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake received it. */
export interface RecordedRequest {
    readonly method: string;
    /** Without the query string. */
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    readonly authorization?: string;
    readonly userAgent?: string;
    /** The JSON body, parsed; undefined when there was none. */
    readonly body?: unknown;
}

export interface FakeComment {
    readonly id: number;
    body: string;
    readonly created_at: string;
    updated_at: string;
    readonly user: { readonly login: string; readonly type: string };
    readonly html_url: string;
}

interface FakePull {
    readonly number: number;
    readonly state: "open" | "closed";
    readonly labels: readonly string[];
}

interface Answer {
    readonly status: number;
    readonly body?: unknown;
    readonly headers?: Readonly<Record<string, string>>;
}

const EPOCH = Date.parse("2025-01-15T14:30:00Z");

/**
 * A loopback stand-in for the parts of the GitHub REST API the bot uses: issue comments and open
 * pull requests, paginated with real `Link` headers, behind token auth, with rate limits on demand.
 */
export class FakeGitHub {
    /** Every request received, in order, rejected ones included. */
    readonly requests: RecordedRequest[] = [];
    private readonly comments = new Map<string, FakeComment[]>();
    private readonly pulls = new Map<string, FakePull[]>();
    private readonly server = http.createServer((req, res) => {
        this.handle(req, res).catch((error: unknown) => {
            res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify({ message: `fake GitHub failed: ${String(error)}` }));
        });
    });
    private nextId = 1000;
    private limited: { count: number; kind: "primary" | "secondary" } = { count: 0, kind: "primary" };
    private hook: ((request: RecordedRequest) => void) | undefined;

    constructor(private readonly token: string, readonly login = "rollout-bot[bot]") {}

    /** Listens on 127.0.0.1 on a free port; resolves with the API's base URL once it accepts connections. */
    start(): Promise<string> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`));
        });
    }

    /** Closes the server and every connection still open (Octokit's fetch keeps them alive). */
    stop(): Promise<void> {
        return new Promise((resolve, reject) => {
            this.server.close((error) => (error === undefined ? resolve() : reject(error)));
            this.server.closeAllConnections();
        });
    }

    /** Adds a comment as if `login` had written it; the store hands out increasing ids and times. */
    addComment(repository: string, issueNumber: number, body: string, login = "someone"): FakeComment {
        const id = this.nextId++;
        const at = new Date(EPOCH + id * 1000).toISOString();
        const comment: FakeComment = {
            id, body, created_at: at, updated_at: at, user: { login, type: login.endsWith("[bot]") ? "Bot" : "User" },
            html_url: `https://github.test/${repository}/pull/${issueNumber}#issuecomment-${id}`,
        };
        this.commentsOf(repository, issueNumber).push(comment);
        return comment;
    }

    /** The comments of `owner/repo#n`, oldest first (live objects: a test may edit a body). */
    commentsOf(repository: string, issueNumber: number): FakeComment[] {
        const key = `${repository}#${issueNumber}`;
        const list = this.comments.get(key) ?? [];
        this.comments.set(key, list);
        return list;
    }

    /** Adds pull request `number`, or replaces it (its labels, its state) when it exists. */
    addPullRequest(repository: string, number: number, labels: readonly string[] = [], state: FakePull["state"] = "open"): void {
        const others = (this.pulls.get(repository) ?? []).filter((pull) => pull.number !== number);
        this.pulls.set(repository, [...others, { number, state, labels }].sort((a, b) => a.number - b.number));
    }

    /** Answers the next `count` authenticated requests with a rate-limit 403 instead of serving them. */
    rateLimitNext(count: number, kind: "primary" | "secondary" = "primary"): void {
        this.limited = { count, kind };
    }

    /** Runs `hook` before answering each authenticated request, so a test can play a concurrent writer. */
    interleave(hook: ((request: RecordedRequest) => void) | undefined): void {
        this.hook = hook;
    }

    /** The requests that change something (all but GET), for "nothing was written" assertions. */
    writes(): RecordedRequest[] {
        return this.requests.filter((request) => request.method !== "GET");
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) {
            chunks.push(chunk as Buffer);
        }
        const text = Buffer.concat(chunks).toString("utf8");
        const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
        const request: RecordedRequest = {
            method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams),
            ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
            ...(req.headers["user-agent"] === undefined ? {} : { userAgent: req.headers["user-agent"] }),
            ...(text === "" ? {} : { body: JSON.parse(text) as unknown }),
        };
        this.requests.push(request);
        const answer = this.answer(request, url);
        res.writeHead(answer.status, {
            ...(answer.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
            ...answer.headers,
        });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    }

    private answer(request: RecordedRequest, url: URL): Answer {
        const credentials = /^(?:token|bearer) (.+)$/i.exec(request.authorization ?? "");
        if (credentials?.[1] !== this.token) {
            return { status: 401, body: { message: "Bad credentials" } };
        }
        if (this.limited.count > 0) {
            this.limited.count--;
            return this.limited.kind === "primary"
                ? {
                    status: 403, body: { message: "API rate limit exceeded" },
                    headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1) },
                }
                : { status: 403, body: { message: "You have exceeded a secondary rate limit." }, headers: { "retry-after": "1" } };
        }
        this.hook?.(request);
        const { method, path } = request;
        let match = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path);
        if (match !== null && method === "GET") {
            return this.page(this.commentsOf(match[1]!, Number(match[2])), url);
        }
        if (match !== null && method === "POST") {
            const { body } = request.body as { body: string };
            return { status: 201, body: this.addComment(match[1]!, Number(match[2]), body, this.login) };
        }
        match = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(path);
        if (match !== null) {
            const [repository, id] = [match[1]!, Number(match[2])];
            const list = [...this.comments.entries()].find(([key, comments]) =>
                key.startsWith(`${repository}#`) && comments.some((comment) => comment.id === id))?.[1];
            const comment = list?.find((candidate) => candidate.id === id);
            if (list === undefined || comment === undefined) {
                return { status: 404, body: { message: "Not Found" } };
            }
            if (method === "GET") {
                return { status: 200, body: comment };
            }
            if (method === "PATCH") {
                comment.body = (request.body as { body: string }).body;
                comment.updated_at = new Date().toISOString();
                return { status: 200, body: comment };
            }
            if (method === "DELETE") {
                list.splice(list.indexOf(comment), 1);
                return { status: 204 };
            }
        }
        match = /^\/repos\/([^/]+\/[^/]+)\/pulls$/.exec(path);
        if (match !== null && method === "GET") {
            const state = request.query.state ?? "open";
            const pulls = (this.pulls.get(match[1]!) ?? []).filter((pull) => state === "all" || pull.state === state);
            return this.page(pulls.map((pull) => ({ number: pull.number, state: pull.state, labels: pull.labels.map((name) => ({ name })) })), url);
        }
        return { status: 404, body: { message: "Not Found" } };
    }

    /** One page of `items` by `per_page` (default 30, as GitHub) and `page`, with GitHub's `Link` header. */
    private page(items: readonly unknown[], url: URL): Answer {
        const perPage = Number(url.searchParams.get("per_page") ?? 30);
        const page = Number(url.searchParams.get("page") ?? 1);
        const last = Math.max(1, Math.ceil(items.length / perPage));
        const link = (n: number, rel: string): string => {
            const target = new URL(url);
            target.searchParams.set("page", String(n));
            return `<${target.toString()}>; rel="${rel}"`;
        };
        const links = page < last ? [link(page + 1, "next"), link(last, "last")] : [];
        return {
            status: 200,
            body: items.slice((page - 1) * perPage, page * perPage),
            ...(links.length === 0 ? {} : { headers: { link: links.join(", ") } }),
        };
    }
}
