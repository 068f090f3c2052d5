import * as assert from "node:assert/strict";
import { BotError, EXIT } from "../../bot/errors";
import { createGitHubClient, GitHubClient, gitHubSettings } from "../../bot/github/client";
import { openPullRequestLabels } from "../../bot/github/pullRequests";
import { COMMENT_MARKER, mergeSection, readSections, renderComment, upsertCommentSection } from "../../bot/github/stickyComment";
import { FakeGitHub } from "../support/fakeGitHub";

const TOKEN = "ghs_test-token-do-not-print";
const REPO = "pilab-hu/shop";
const TARGET = { owner: "pilab-hu", repo: "shop", issueNumber: 42 };
const ORDER = ["environment", "preview"] as const;
const COMMENTS_PATH = "/repos/pilab-hu/shop/issues/42/comments";

/** A comment body of ours, as the bot writes it. */
function ours(sections: Record<string, string>): string {
    return renderComment(new Map(Object.entries(sections)), ORDER);
}

function isBotError(exitCode: number, ...patterns: RegExp[]): (error: unknown) => boolean {
    return (error) => {
        assert.ok(error instanceof BotError, `expected a BotError, got ${String(error)}`);
        assert.equal(error.exitCode, exitCode);
        patterns.forEach((pattern) => assert.match(error.message, pattern));
        assert.doesNotMatch(error.message, /do-not-print/);
        return true;
    };
}

describe("bot GitHub layer", () => {
    describe("settings from the environment", () => {
        it("takes the token from GITHUB_TOKEN, else GH_TOKEN, an empty one counting as unset", () => {
            assert.equal(gitHubSettings({ GITHUB_TOKEN: "a", GH_TOKEN: "b" }).token, "a");
            assert.equal(gitHubSettings({ GITHUB_TOKEN: "", GH_TOKEN: "b" }).token, "b");
            assert.equal(gitHubSettings({ GH_TOKEN: "" }).token, undefined);
            assert.equal("token" in gitHubSettings({}), false);
        });

        it("defaults to api.github.com and takes a GitHub Enterprise Server API URL without its trailing slash", () => {
            assert.equal(gitHubSettings({}).baseUrl, "https://api.github.com");
            assert.equal(gitHubSettings({ GITHUB_API_URL: "" }).baseUrl, "https://api.github.com");
            assert.equal(gitHubSettings({ GITHUB_API_URL: "https://ghe.example.com/api/v3/" }).baseUrl, "https://ghe.example.com/api/v3");
        });

        it("reads the repository from GITHUB_REPOSITORY, and none without it", () => {
            assert.deepEqual(gitHubSettings({ GITHUB_REPOSITORY: "pilab-hu/shop.deploy" }).repository, { owner: "pilab-hu", repo: "shop.deploy" });
            assert.equal(gitHubSettings({}).repository, undefined);
        });

        it("refuses a GITHUB_REPOSITORY that is not owner/name with a usage error naming the variable and the value", () => {
            for (const value of ["shop", "pilab-hu/shop/extra", "/shop", "pilab hu/shop"]) {
                assert.throws(() => gitHubSettings({ GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: value }),
                    isBotError(EXIT.usage, /^GITHUB_REPOSITORY must be owner\/name/, new RegExp(`got '${value}'`)));
            }
        });

        it("refuses a GITHUB_API_URL that is not an http(s) URL with a usage error naming the variable and the value", () => {
            for (const value of ["api.github.com", "ftp://ghe.example.com/api/v3"]) {
                assert.throws(() => gitHubSettings({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: value }),
                    isBotError(EXIT.usage, /^GITHUB_API_URL must be the http\(s\) URL/, new RegExp(`got '${value}'`)));
            }
        });
    });

    describe("comment body", () => {
        it("renders sections in the given order, unknown ones after in their existing order", () => {
            const body = renderComment(new Map([["zeta", "z"], ["preview", "p"], ["alpha", "a"], ["environment", "e"]]), ORDER);
            assert.equal(body, [
                COMMENT_MARKER,
                "<!-- rollout-bot:section environment -->", "e", "<!-- rollout-bot:end environment -->",
                "<!-- rollout-bot:section preview -->", "p", "<!-- rollout-bot:end preview -->",
                "<!-- rollout-bot:section zeta -->", "z", "<!-- rollout-bot:end zeta -->",
                "<!-- rollout-bot:section alpha -->", "a", "<!-- rollout-bot:end alpha -->",
            ].join("\n"));
        });

        it("reads back what it rendered, multi-line and empty sections included", () => {
            const sections = new Map([["preview", "### Preview\n\n| a | b |\n<!-- rollout-bot:preview stack=pr-42 -->"], ["environment", ""]]);
            assert.deepEqual(readSections(renderComment(sections, ORDER)), sections);
        });

        it("reads a comment edited on github.com, whose lines end in CRLF", () => {
            const body = ours({ preview: "one\ntwo" }).replace(/\n/g, "\r\n");
            assert.deepEqual(readSections(body), new Map([["preview", "one\ntwo"]]));
        });

        it("reads nothing from a body that does not start with the marker", () => {
            assert.equal(readSections(`quoting the bot:\n${ours({ preview: "p" })}`).size, 0);
        });

        it("merges a section, replacing only that one and keeping the others", () => {
            const merged = mergeSection(ours({ environment: "e", preview: "old", custom: "c" }), "preview", "new\n\n", ORDER);
            assert.deepEqual([...readSections(merged)], [["environment", "e"], ["preview", "new"], ["custom", "c"]]);
        });

        it("starts a fresh body when there is none, or the existing one is not ours", () => {
            assert.equal(mergeSection(undefined, "preview", "p", ORDER), ours({ preview: "p" }));
            assert.equal(mergeSection("LGTM", "preview", "p", ORDER), ours({ preview: "p" }));
        });

        it("refuses a section id outside [a-z][a-z0-9-]* and markdown that would cut the sections apart", () => {
            assert.throws(() => mergeSection(undefined, "Preview", "p", ORDER), /section id 'Preview' must match/);
            assert.throws(() => mergeSection(undefined, "preview", "x\n<!-- rollout-bot:end preview -->\ny", ORDER), /cut the comment's sections apart/);
        });
    });

    describe("against a fake GitHub", () => {
        let fake: FakeGitHub;
        let baseUrl: string;
        let logs: string[];

        beforeEach(async () => {
            fake = new FakeGitHub(TOKEN);
            baseUrl = await fake.start();
            logs = [];
        });
        afterEach(() => fake.stop());

        function client(): GitHubClient {
            const created = createGitHubClient({ token: TOKEN, baseUrl }, { log: (line) => logs.push(line), retryAfterBaseMs: 1, minWriteIntervalMs: 0 });
            assert.ok(created !== undefined);
            return created;
        }

        function upsert(id: string, markdown: string) {
            return upsertCommentSection(client(), TARGET, { id, markdown }, ORDER);
        }

        it("builds no client without a token, so nothing reaches GitHub", () => {
            const settings = gitHubSettings({ GITHUB_TOKEN: "", GH_TOKEN: "", GITHUB_API_URL: baseUrl, GITHUB_REPOSITORY: REPO });
            assert.equal(createGitHubClient(settings, { log: (line) => logs.push(line) }), undefined);
            assert.equal(fake.requests.length, 0);
        });

        it("creates one comment on the PR, authenticated, on the first upsert", async () => {
            const result = await upsert("preview", "3 to update");
            const comments = fake.commentsOf(REPO, 42);
            assert.equal(comments.length, 1);
            assert.deepEqual({ ...result }, { action: "created", id: comments[0]!.id, url: comments[0]!.html_url });
            assert.equal(comments[0]!.body, ours({ preview: "3 to update" }));
            const posts = fake.requests.filter((request) => request.method === "POST");
            assert.deepEqual(posts.map((request) => request.path), [COMMENTS_PATH]);
            assert.ok(fake.requests.every((request) => request.authorization === `token ${TOKEN}` && /^rollout-bot /.test(request.userAgent ?? "")));
        });

        it("edits the same comment for a second section, keeping the first", async () => {
            const first = await upsert("preview", "3 to update");
            const second = await upsert("environment", "https://pr-42.example.com");
            assert.deepEqual({ action: second.action, id: second.id }, { action: "updated", id: first.id });
            assert.equal(fake.requests.filter((request) => request.method === "POST").length, 1);
            assert.deepEqual(fake.writes().map((request) => `${request.method} ${request.path}`),
                [`POST ${COMMENTS_PATH}`, `PATCH /repos/pilab-hu/shop/issues/comments/${first.id}`]);
            assert.equal(fake.commentsOf(REPO, 42)[0]!.body, ours({ environment: "https://pr-42.example.com", preview: "3 to update" }));
        });

        it("writes nothing when the section already reads the same", async () => {
            await upsert("preview", "3 to update");
            const before = fake.writes().length;
            const again = await upsert("preview", "3 to update\n");
            assert.equal(again.action, "unchanged");
            assert.equal(fake.writes().length, before);
        });

        it("ignores other people's comments, also ones quoting the marker further down", async () => {
            fake.addComment(REPO, 42, `> ${COMMENT_MARKER}\nwhy is the bot here?`);
            fake.addComment(REPO, 7, ours({ preview: "another PR" }), "rollout-bot[bot]");
            const result = await upsert("preview", "p");
            assert.equal(result.action, "created");
            assert.equal(fake.commentsOf(REPO, 7)[0]!.body, ours({ preview: "another PR" }));
        });

        it("finds its comment on the third page of 250 and edits it instead of creating another", async () => {
            for (let n = 0; n < 250; n++) {
                fake.addComment(REPO, 42, `comment ${n}`);
                if (n === 220) {
                    fake.addComment(REPO, 42, ours({ environment: "e" }), "a-personal-access-token-user");
                }
            }
            const mine = fake.commentsOf(REPO, 42).find((comment) => comment.body.startsWith(COMMENT_MARKER))!;
            const result = await upsert("preview", "p");
            assert.deepEqual({ action: result.action, id: result.id }, { action: "updated", id: mine.id });
            const listings = fake.requests.filter((request) => request.method === "GET" && request.path === COMMENTS_PATH);
            assert.deepEqual(listings.map((request) => request.query.page ?? "1"), ["1", "2", "3"]);
            assert.deepEqual(fake.writes().map((request) => request.method), ["PATCH"]);
            assert.equal(mine.body, ours({ environment: "e", preview: "p" }));
        });

        it("waits out a primary rate limit and succeeds, logging each retry without the token", async () => {
            fake.rateLimitNext(2);
            const result = await upsert("preview", "p");
            assert.equal(result.action, "created");
            const [first, second, third] = fake.requests;
            assert.deepEqual([first, second, third].map((request) => `${request!.method} ${request!.path}`), Array(3).fill(`GET ${COMMENTS_PATH}`));
            const waits = logs.filter((line) => line.includes("rate limit"));
            assert.equal(waits.length, 2);
            assert.equal(waits[0], `GitHub primary rate limit on GET ${baseUrl}${COMMENTS_PATH}?per_page=100: retry-after ${/(\d+)s/.exec(waits[0]!)?.[1]}s, retry 1 of 2`);
            assert.match(waits[1]!, /retry 2 of 2$/);
            assert.ok(logs.every((line) => !line.includes(TOKEN)));
        });

        it("waits out a secondary rate limit on a write", async () => {
            fake.interleave((request) => {
                if (request.method === "GET") {
                    fake.rateLimitNext(1, "secondary");
                    fake.interleave(undefined);
                }
            });
            const result = await upsert("preview", "p");
            assert.equal(result.action, "created");
            assert.deepEqual(fake.requests.map((request) => request.method), ["GET", "POST", "POST", "GET"]);
            assert.match(logs.join("\n"), /^GitHub secondary rate limit on POST \S+\/issues\/42\/comments: retry-after 1s, retry 1 of 2$/m);
        });

        it("gives up with GitHub's 403 when the rate limit lasts past two retries", async () => {
            fake.rateLimitNext(3);
            await assert.rejects(upsert("preview", "p"), (error: unknown) => {
                assert.equal((error as { status?: number }).status, 403);
                assert.match(String(error), /API rate limit exceeded/);
                return true;
            });
            assert.equal(fake.requests.length, 3);
            assert.match(logs.filter((line) => line.includes("rate limit"))[2]!, /giving up after 2 retries$/);
            assert.equal(fake.commentsOf(REPO, 42).length, 0);
        });

        it("folds its comment into an older one a racing job created, and deletes its own", async () => {
            let racer: number | undefined;
            fake.interleave((request) => {
                if (request.method === "POST" && racer === undefined) {
                    racer = fake.addComment(REPO, 42, ours({ environment: "e" }), "rollout-bot[bot]").id;
                }
            });
            const result = await upsert("preview", "p");
            const comments = fake.commentsOf(REPO, 42);
            assert.deepEqual(comments.map((comment) => comment.id), [racer]);
            assert.deepEqual({ action: result.action, id: result.id }, { action: "updated", id: racer });
            assert.equal(comments[0]!.body, ours({ environment: "e", preview: "p" }));
            assert.equal(fake.writes().filter((request) => request.method === "DELETE").length, 1);
        });

        it("keeps its own comment when a racing job's duplicate is newer, folding that one's sections in", async () => {
            let listings = 0;
            fake.interleave((request) => {
                if (request.method === "GET" && request.path === COMMENTS_PATH && ++listings === 2) {
                    fake.addComment(REPO, 42, ours({ environment: "e" }), "rollout-bot[bot]");
                }
            });
            const result = await upsert("preview", "p");
            const comments = fake.commentsOf(REPO, 42);
            assert.deepEqual(comments.map((comment) => comment.id), [result.id]);
            assert.equal(result.action, "created");
            assert.equal(comments[0]!.body, ours({ environment: "e", preview: "p" }));
        });

        it("takes a duplicate the racing job deleted first as deleted", async () => {
            let listings = 0;
            fake.interleave((request) => {
                if (request.method === "GET" && request.path === COMMENTS_PATH && ++listings === 2) {
                    fake.addComment(REPO, 42, ours({ environment: "e" }), "rollout-bot[bot]");
                }
                if (request.method === "DELETE") {
                    const comments = fake.commentsOf(REPO, 42);
                    comments.splice(comments.findIndex((comment) => request.path.endsWith(`/${comment.id}`)), 1);
                }
            });
            const result = await upsert("preview", "p");
            assert.equal(result.action, "created");
            assert.equal(fake.writes().filter((request) => request.method === "DELETE").length, 1);
            assert.equal(fake.commentsOf(REPO, 42)[0]!.body, ours({ environment: "e", preview: "p" }));
        });

        it("writes its section again when a concurrent writer puts back an older body", async () => {
            const existing = fake.addComment(REPO, 42, ours({ environment: "e" }), "rollout-bot[bot]");
            let overwritten = false;
            fake.interleave((request) => {
                if (request.method === "GET" && request.path.endsWith(`/comments/${existing.id}`) && !overwritten) {
                    overwritten = true;
                    existing.body = ours({ environment: "e2" });
                }
            });
            const result = await upsert("preview", "p");
            assert.equal(result.action, "updated");
            assert.equal(fake.writes().filter((request) => request.method === "PATCH").length, 2);
            assert.equal(existing.body, ours({ environment: "e2", preview: "p" }));
        });

        it("fails with exit 1 when its section is overwritten on every attempt", async () => {
            const stale = ours({ environment: "e" });
            const existing = fake.addComment(REPO, 42, stale, "rollout-bot[bot]");
            fake.interleave((request) => {
                if (request.method === "GET" && request.path.endsWith(`/comments/${existing.id}`)) {
                    existing.body = stale;
                }
            });
            await assert.rejects(upsert("preview", "p"), isBotError(EXIT.failed, /section 'preview' of PR comment .* overwritten .* 3 times/));
            assert.equal(fake.writes().length, 3);
        });

        it("lists every open pull request's labels across pages", async () => {
            for (let number = 1; number <= 130; number++) {
                fake.addPullRequest(REPO, number, number % 10 === 0 ? ["keep-environment", "team:shop"] : []);
            }
            fake.addPullRequest(REPO, 131, ["keep-environment"], "closed");
            const labels = await openPullRequestLabels(client(), { owner: "pilab-hu", repo: "shop" });
            assert.equal(labels.size, 130);
            assert.deepEqual(labels.get(20), ["keep-environment", "team:shop"]);
            assert.deepEqual(labels.get(21), []);
            assert.equal(labels.has(131), false);
            assert.deepEqual(fake.requests.map((request) => [request.query.state, request.query.page ?? "1"]), [["open", "1"], ["open", "2"]]);
        });
    });
});
