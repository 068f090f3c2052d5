import * as assert from "node:assert/strict";
import { DiffKind, EngineEvent } from "@pulumi/pulumi/automation";
import { EnvPreviewCommand, PlanPreview, reportPlan } from "../../bot/commands/envPreview";
import type { BotContext } from "../../bot/context";
import { BotError, EXIT, reportFailure } from "../../bot/errors";
import { createGitHubClient, gitHubSettings } from "../../bot/github/client";
import { readSections } from "../../bot/github/stickyComment";
import { Output } from "../../bot/output";
import { postCommentSection } from "../../bot/prComment";
import { parseCommand } from "../../bot/program";
import { promotionRefusalMessage } from "../../lib/promotionGate";
import { FakeGitHub } from "../support/fakeGitHub";

const TOKEN = "ghs_test-token-0123456789";
const REPOSITORY = "pilab-hu/shop";
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";

let sequence = 0;

function rollout(image: string): object {
    return { metadata: { name: "cart-service" }, spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: "2m" } }] } }, template: { spec: { containers: [{ name: "cart-service", image }] } } } };
}

/** The engine's step of a new cart-service image in `stack`. */
function release(stack: string, from: string, to: string): EngineEvent {
    const urn = `urn:pulumi:${stack}::rollout-stacks::${ROLLOUT}::${stack}-cart-service-rollout`;
    const state = (inputs: object) => ({ type: ROLLOUT, urn, id: "", parent: "", provider: "", inputs, outputs: {} });
    return {
        sequence: sequence++, timestamp: 1_736_951_400,
        resourcePreEvent: { planning: true, metadata: {
            op: "update", urn, type: ROLLOUT, provider: "", old: state(rollout(from)), new: state(rollout(to)),
            detailedDiff: { "spec.template.spec.containers[0].image": { diffKind: DiffKind.update, inputDiff: true } }, diffs: ["spec"],
        } },
    };
}

const GATE_WARNING = promotionRefusalMessage([{ service: "cart-service", image: "ghcr.io/pilab-hu/cart-service:v2", source: "dev", sourceHealthy: [] }]);
const gateWarning: EngineEvent = { sequence: 0, timestamp: 1_736_951_400, diagnosticEvent: { message: `${GATE_WARNING}\n`, color: "never", severity: "warning" } };

/** A preview that sends `events`, then ends with `counts` or fails with `failure`. */
function preview(events: readonly EngineEvent[], outcome: { counts: Record<string, number> } | { failure: Error }): PlanPreview {
    return async (onEvent) => {
        events.forEach(onEvent);
        if ("failure" in outcome) {
            throw outcome.failure;
        }
        return { changeSummary: outcome.counts };
    };
}

function command(stack: string, commentOn?: number): EnvPreviewCommand {
    return { kind: "env preview", stack, markdown: true, json: false, ...(commentOn === undefined ? {} : { commentOn }) };
}

describe("env preview on the pull request", () => {
    const github = new FakeGitHub(TOKEN);
    let baseUrl = "";
    const stdout: string[] = [];
    const stderr: string[] = [];

    function context(): BotContext {
        const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: baseUrl, GITHUB_REPOSITORY: REPOSITORY };
        return {
            out: new Output({ write: (text: string) => stdout.push(text) }, { write: (text: string) => stderr.push(text) }, false),
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
        stdout.length = 0;
        stderr.length = 0;
    });

    it("writes each stack's plan into a section of its own in the PR's one comment, beside the PR preview's, dev before prod", async () => {
        await postCommentSection(context(), 21, "preview", "### Pulumi preview of `pr-21`");
        await reportPlan(command("prod", 21), context(),
            preview([gateWarning, release("prod", "ghcr.io/pilab-hu/cart-service:v1", "ghcr.io/pilab-hu/cart-service:v2")], { counts: { update: 1, same: 40 } }));
        await reportPlan(command("dev", 21), context(), preview([], { counts: { same: 38 } }));
        const comments = github.commentsOf(REPOSITORY, 21);
        assert.equal(comments.length, 1, "one sticky comment, not one per stack");
        const sections = readSections(comments[0]!.body);
        assert.deepEqual([...sections.keys()], ["preview", "env-dev", "env-prod"]);
        assert.equal(sections.get("preview"), "### Pulumi preview of `pr-21`", "the PR preview's section is kept");
        assert.match(sections.get("env-prod")!, /^### Release plan for `prod`/);
        assert.match(sections.get("env-prod")!, /\| `cart-service` \| new image: `ghcr\.io\/pilab-hu\/cart-service:v1` → `ghcr\.io\/pilab-hu\/cart-service:v2` \|/);
        assert.match(sections.get("env-prod")!, /^> \*\*⚠ Promotion gate:\*\*/m);
        assert.match(sections.get("env-prod")!, /^> Promotion gate refused 1 image; nothing was changed:$/m);
        assert.match(sections.get("env-dev")!, /No changes: `dev` already matches this commit \(38 unchanged\)\./);
        assert.match(stdout.join(""), /^### Release plan for `dev`/m, "the plan is printed too");
    });

    it("says in the section why a failed preview failed, and fails with the preview's own error", async () => {
        const refusal = new BotError("a policy pack refused the update (1 mandatory violation); nothing was changed:\n  - prod-rollout-analysis on cart-service", EXIT.policy);
        await assert.rejects(reportPlan(command("prod", 22), context(), preview([gateWarning], { failure: refusal })), (error) => error === refusal);
        assert.equal(reportFailure(refusal).exitCode, 8);
        const section = readSections(github.commentsOf(REPOSITORY, 22)[0]!.body).get("env-prod")!;
        assert.match(section, /:x: \*\*The preview failed:\*\*\n\n```\na policy pack refused the update \(1 mandatory violation\)/);
        assert.doesNotMatch(section, /error: /);
        assert.match(section, /⚠ Promotion gate:/, "what the program warned before the failure is kept");
        assert.equal(stdout.join(""), "", "a failed preview prints no plan");
    });

    it("posts nothing without --comment", async () => {
        const before = github.requests.length;
        await reportPlan(command("prod"), context(), preview([], { counts: { same: 40 } }));
        assert.equal(github.requests.length, before);
        assert.match(stdout.join(""), /No changes/);
    });

    it("takes --comment only with the PR to write to, and --pr only with --comment", () => {
        const parsed = parseCommand(["env", "preview", "prod", "--markdown", "--comment", "--pr", "123", "--policy-pack", ".policy-base/policy"]);
        assert.deepEqual(parsed, { kind: "env preview", stack: "prod", markdown: true, commentOn: 123, json: false, policyPacks: [".policy-base/policy"] });
        assert.throws(() => parseCommand(["env", "preview", "prod", "--comment"]), /--comment needs --pr <n>/);
        assert.throws(() => parseCommand(["env", "preview", "prod", "--pr", "123"]), /--pr 123 is only read with --comment/);
        assert.throws(() => parseCommand(["env", "preview", "prod", "--comment", "--pr", "0"]), /pull request number/);
    });
});
