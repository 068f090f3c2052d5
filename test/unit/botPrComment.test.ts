import * as assert from "node:assert/strict";
import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import type { BotContext } from "../../bot/context";
import { createGitHubClient, gitHubSettings } from "../../bot/github/client";
import { readSections } from "../../bot/github/stickyComment";
import { Output } from "../../bot/output";
import { postCommentSection, renderEnvironmentSection } from "../../bot/prComment";
import { deploymentState, ServiceState } from "../../bot/workloads";
import { FakeGitHub } from "../support/fakeGitHub";

const TOKEN = "ghs_test-token-0123456789";
const REPOSITORY = "pilab-hu/shop";

function deployment(name: string, replicas: number, status: V1Deployment["status"], revision = "2"): V1Deployment {
    return {
        metadata: { name, uid: `uid-${name}`, generation: 3, annotations: { "deployment.kubernetes.io/revision": revision } },
        spec: {
            replicas,
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: { spec: { containers: [{ name, image: `ghcr.io/pilab-hu/${name}:pr-7-1a2b3c4` }] } },
        },
        status: { observedGeneration: 3, ...status },
    };
}

function replicaSet(owner: string, revision: string, hash: string, readyReplicas: number, created: string): V1ReplicaSet {
    return {
        metadata: {
            name: `${owner}-${hash}`,
            labels: { "pod-template-hash": hash },
            annotations: { "deployment.kubernetes.io/revision": revision },
            ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: owner, uid: `uid-${owner}` }],
            creationTimestamp: new Date(created),
        },
        spec: { selector: { matchLabels: {} } },
        status: { replicas: 1, readyReplicas },
    };
}

function pod(hash: string, waiting?: string): V1Pod {
    return {
        metadata: { labels: { "pod-template-hash": hash } },
        status: { containerStatuses: [{ name: "app", image: "x", imageID: "", ready: waiting === undefined, restartCount: 0, state: waiting === undefined ? { running: {} } : { waiting: { reason: waiting } } }] },
    };
}

describe("PR comment", () => {
    describe("a service's state from the cluster", () => {
        const oldSet = replicaSet("cart-service", "1", "old", 1, "2026-12-01T10:00:00Z");
        const newSet = replicaSet("cart-service", "2", "new", 1, "2026-12-02T09:30:00.250Z");

        it("is ready when every wanted pod of the current revision is available, with that revision's creation as the rollout time", () => {
            const state = deploymentState("cart-service", deployment("cart-service", 1, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), [oldSet, newSet], [pod("new")]);
            assert.deepEqual(state, {
                service: "cart-service", state: "ready", ready: "1/1", image: "ghcr.io/pilab-hu/cart-service:pr-7-1a2b3c4", rolledOutAt: "2026-12-02T09:30:00Z",
            });
        });

        it("is progressing while old pods still run beside the new ones", () => {
            const state = deploymentState("cart-service", deployment("cart-service", 1, { replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), [oldSet, newSet], [pod("old"), pod("new")]);
            assert.equal(state.state, "progressing");
        });

        it("fails with the kubelet's reason from a pod of the current revision, and ignores the old revision's pods", () => {
            const failing = deploymentState("cart-service", deployment("cart-service", 1, { replicas: 2, updatedReplicas: 1, availableReplicas: 1 }),
                [oldSet, { ...newSet, status: { replicas: 1, readyReplicas: 0 } }], [pod("old"), pod("new", "ImagePullBackOff")]);
            assert.deepEqual([failing.state, failing.reason, failing.ready], ["failed", "ImagePullBackOff", "0/1"]);
            const oldOnly = deploymentState("cart-service", deployment("cart-service", 1, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
                [oldSet, newSet], [pod("old", "CrashLoopBackOff"), pod("new")]);
            assert.equal(oldOnly.state, "ready");
        });

        it("fails with ProgressDeadlineExceeded when the Deployment stopped progressing", () => {
            const state = deploymentState("cart-service", deployment("cart-service", 1, {
                replicas: 1, updatedReplicas: 1, availableReplicas: 0,
                conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
            }), [newSet], [pod("new")]);
            assert.deepEqual([state.state, state.reason], ["failed", "ProgressDeadlineExceeded"]);
        });

        it("is paused at 0 replicas and missing when there is no Deployment", () => {
            assert.equal(deploymentState("cart-service", deployment("cart-service", 0, { replicas: 0 }), [newSet], []).state, "paused");
            assert.deepEqual(deploymentState("cart-service", undefined, [], []), { service: "cart-service", state: "missing", ready: "0/0" });
        });
    });

    describe("the environment section", () => {
        const states: ServiceState[] = [
            { service: "cart-service", state: "ready", ready: "1/1", image: "ghcr.io/pilab-hu/cart-service:pr-7-1a2b3c4", rolledOutAt: "2026-12-02T09:30:00Z" },
            { service: "order-service", state: "failed", reason: "ImagePullBackOff", ready: "0/1", image: "ghcr.io/pilab-hu/order-service:pr-7-1a2b3c4", rolledOutAt: "2026-12-02T09:31:00Z" },
        ];

        it("shows the URL, the newest rollout, and each service's image and state with the failure's reason", () => {
            const markdown = renderEnvironmentSection({ stack: "pr-7", imageTag: "pr-7-1a2b3c4", at: "2026-12-02T09:32:00Z", url: "https://pr-7.shop.pilab.hu", services: states });
            assert.match(markdown, /^\*\*URL:\*\* https:\/\/pr-7\.shop\.pilab\.hu$/m);
            assert.match(markdown, /\*\*Last rollout:\*\* 2026-12-02T09:31:00Z/);
            assert.match(markdown, /^:x: 1 of 2 services failed$/m);
            assert.match(markdown, /^\| `cart-service` \| `ghcr\.io\/pilab-hu\/cart-service:pr-7-1a2b3c4` \| ready \(1\/1 ready\) \|$/m);
            assert.match(markdown, /^\| `order-service` \| .* \| \*\*failed\*\*: ImagePullBackOff \(0\/1 ready\) \|$/m);
        });

        it("says all services are ready only when they are", () => {
            const markdown = renderEnvironmentSection({ stack: "pr-7", imageTag: "t", at: "x", url: "u", services: [states[0]!] });
            assert.match(markdown, /all services ready/);
        });

        it("shows a failed update's message instead of a report", () => {
            const markdown = renderEnvironmentSection({ stack: "pr-7", imageTag: "pr-7-1a2b3c4", at: "2026-12-02T09:32:00Z", failure: "Invalid configuration (1 problem)" });
            assert.match(markdown, /`pr up` failed\*\* at 2026-12-02T09:32:00Z/);
            assert.match(markdown, /```\nInvalid configuration \(1 problem\)\n```/);
            assert.doesNotMatch(markdown, /\| Service \|/);
        });
    });

    describe("posting a section", () => {
        const github = new FakeGitHub(TOKEN);
        let baseUrl = "";
        const errors: string[] = [];

        function context(env: NodeJS.ProcessEnv): BotContext {
            const out = new Output({ write: () => true }, { write: (text: string) => errors.push(text) }, false);
            return {
                out,
                settings: { workDir: "/nonexistent", backendUrl: "file:///nonexistent" },
                now: () => Date.parse("2026-12-02T09:32:00Z"),
                sleep: async () => undefined,
                rolloutApi: () => Promise.reject(new Error("no cluster in this test")),
                workloadApi: () => Promise.reject(new Error("no cluster in this test")),
                gitHub: () => {
                    const settings = gitHubSettings(env);
                    const client = createGitHubClient(settings, { log: () => undefined, retryAfterBaseMs: 1, minWriteIntervalMs: 0 });
                    return client === undefined ? { settings } : { settings, client };
                },
            };
        }

        before(async () => {
            baseUrl = await github.start();
        });
        after(() => github.stop());
        beforeEach(() => {
            errors.length = 0;
        });

        it("sends nothing without a token and says why", async () => {
            const before = github.requests.length;
            const outcome = await postCommentSection(context({ GITHUB_API_URL: baseUrl, GITHUB_REPOSITORY: REPOSITORY }), 7, "preview", "### Preview");
            assert.deepEqual(outcome, { posted: false, reason: "no GITHUB_TOKEN (or GH_TOKEN) in the environment" });
            assert.equal(github.requests.length, before);
            assert.match(errors.join(""), /the PR comment was not posted/);
        });

        it("keeps the preview and the environment in one comment on the PR, each command editing its own section", async () => {
            const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: baseUrl, GITHUB_REPOSITORY: REPOSITORY };
            const first = await postCommentSection(context(env), 8, "preview", "### Pulumi preview of `pr-8`");
            assert.equal(first.posted && first.action, "created");
            const second = await postCommentSection(context(env), 8, "environment", "### PR environment `pr-8`");
            assert.equal(second.posted && second.action, "updated");
            const comments = github.commentsOf(REPOSITORY, 8);
            assert.equal(comments.length, 1);
            const sections = readSections(comments[0]!.body);
            assert.deepEqual([...sections.keys()], ["environment", "preview"], "the environment comes first whatever wrote first");
            assert.equal(sections.get("preview"), "### Pulumi preview of `pr-8`");
        });

        it("reports GitHub's refusal without failing the command", async () => {
            github.rateLimitNext(10);
            const outcome = await postCommentSection(context({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: baseUrl, GITHUB_REPOSITORY: REPOSITORY }), 9, "preview", "x");
            assert.equal(outcome.posted, false);
            assert.match(errors.join(""), /GitHub refused it/);
            assert.ok(!errors.join("").includes(TOKEN));
            github.rateLimitNext(0);
        });
    });
});
