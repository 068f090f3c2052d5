import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseCommand } from "../../bot/program";
import { REPO_ROOT } from "../support/projectConfig";

/**
 * The PR workflows' structure and their bot command lines. actionlint checks the workflow syntax
 * (docs/release-bot.md says how to run it); this test keeps what it cannot know: that every
 * command a workflow gives the bot parses, and the lock and permission rules of the design.
 */

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

interface Step { readonly uses?: string; readonly run?: string; readonly with?: Record<string, unknown> }
interface Job { readonly permissions?: Record<string, string>; readonly steps: Step[]; readonly if?: string }
interface Workflow {
    readonly on: Record<string, unknown>;
    readonly permissions?: Record<string, string>;
    readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
    readonly jobs: Record<string, Job>;
}

function load(file: string): Workflow {
    return yaml.load(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

const files = fs.readdirSync(WORKFLOWS).filter((file) => file.endsWith(".yml"));
const workflows = Object.fromEntries(files.map((file) => [file, load(file)]));

/** The bot command lines of a run script, with the workflow's variables filled in. */
function botCommands(script: string): string[][] {
    const filled = script.replace(/"pr-\$PR_NUMBER-\$\{HEAD_SHA::7\}"/g, "pr-123-1a2b3c4").replace(/"?pr-\$PR_NUMBER"?/g, "pr-123").replace(/"?\$PR_NUMBER"?/g, "123");
    const direct = [...filled.matchAll(/npm run --silent bot -- (.+?)(?=\s*(?:[>|]|$))/gm)].map((m) => m[1]!);
    const arrays = [...filled.matchAll(/args=\((.+?)\)/g)].map((m) => m[1]!);
    return [...direct.filter((line) => !line.includes("${args[@]}")), ...arrays, ...arrays.map((line) => `${line} --yes`)]
        .map((line) => line.split(/\s+/).filter((word) => word !== ""));
}

describe("PR workflows", () => {
    it("has the preview, up, close and reaper workflows", () => {
        assert.deepEqual(files.sort(), ["pr-close.yml", "pr-preview.yml", "pr-reaper.yml", "pr-up.yml"]);
    });

    it("gives the bot only command lines it accepts", () => {
        const lines = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((job) => job.steps.flatMap((step) => botCommands(step.run ?? ""))));
        assert.ok(lines.length >= 5, `found only ${lines.length} bot command lines`);
        for (const line of lines) {
            const command = parseCommand(line);
            assert.notEqual(command.kind, "help", line.join(" "));
        }
    });

    it("previews, brings up and tears down the stack of the PR that triggered it", () => {
        const commands = Object.fromEntries(["pr-preview.yml", "pr-up.yml", "pr-close.yml"].map((file) => {
            const lines = Object.values(workflows[file]!.jobs).flatMap((job) => job.steps.flatMap((step) => botCommands(step.run ?? "")));
            return [file, lines.map((line) => parseCommand(line))];
        }));
        const summary = (c: (typeof commands)[string][number]) => [c.kind, "pr" in c ? c.pr : undefined, "imageTag" in c ? c.imageTag : undefined, "comment" in c ? c.comment : undefined];
        assert.deepEqual(commands["pr-preview.yml"]!.map(summary), [["pr preview", 123, "pr-123-1a2b3c4", true]]);
        assert.deepEqual(commands["pr-up.yml"]!.map(summary), [["pr up", 123, "pr-123-1a2b3c4", true]]);
        assert.deepEqual(commands["pr-close.yml"]!.map((c) => [c.kind, "pr" in c ? c.pr : undefined]), [["pr down", 123]]);
        assert.deepEqual(workflows["pr-close.yml"]!.on.pull_request, { types: ["closed"] });
        assert.ok("schedule" in workflows["pr-reaper.yml"]!.on);
    });

    it("pins every action to a commit, with the release it is, and reads only the repository by default", () => {
        // A tag can be moved to other code; a commit cannot. The comment says which release it is, for updates.
        const files = [...Object.keys(workflows).map((file) => path.join(WORKFLOWS, file)), path.join(REPO_ROOT, ".github", "actions", "bot-setup", "action.yml")];
        for (const file of files) {
            const uses = fs.readFileSync(file, "utf8").split("\n").filter((line) => /^\s*(?:- )?uses:/.test(line));
            assert.ok(uses.length > 0, file);
            for (const line of uses) {
                assert.match(line, /uses: (?:\.\/\S+|[\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+)$/, `${path.basename(file)}: ${line.trim()}`);
            }
        }
        for (const [file, workflow] of Object.entries(workflows)) {
            assert.deepEqual(workflow.permissions, { contents: "read" }, file);
            for (const job of Object.values(workflow.jobs)) {
                for (const [scope, level] of Object.entries(job.permissions ?? {})) {
                    const commenter = file === "pr-preview.yml" || file === "pr-up.yml";
                    assert.ok(level === "read" || (commenter && scope === "pull-requests"), `${file} grants ${scope}: ${level}`);
                }
            }
        }
    });

    it("leaves no token in the checkout for the PR's code to read", () => {
        const checkouts = Object.entries(workflows).flatMap(([file, workflow]) => Object.values(workflow.jobs)
            .flatMap((job) => job.steps.filter((step) => step.uses?.startsWith("actions/checkout@")).map((step) => [file, step] as const)));
        assert.ok(checkouts.length >= 4, "every workflow checks the repository out");
        for (const [file, step] of checkouts) {
            assert.equal(step.with?.["persist-credentials"], false, `${file}: actions/checkout needs persist-credentials: false`);
        }
    });

    it("runs one update per PR at a time, never cancelling one halfway", () => {
        const up = workflows["pr-up.yml"]!.concurrency!;
        const close = workflows["pr-close.yml"]!.concurrency!;
        assert.equal(up.group, close.group, "closing must wait for a running pr up");
        assert.equal(up["cancel-in-progress"], false);
        assert.equal(close["cancel-in-progress"], false);
        assert.match(up.group, /github\.event\.pull_request\.number/);
    });

    it("deploys the commit that triggered it, as the tag the image build pushes: pr-<n>-<7 hex digits of the head commit>", () => {
        for (const file of ["pr-preview.yml", "pr-up.yml"]) {
            const jobs = Object.values(workflows[file]!.jobs) as (Job & { env?: Record<string, string> })[];
            const job = jobs.find((j) => j.steps.some((step) => (step.run ?? "").includes("npm run --silent bot")))!;
            assert.equal(job.env?.HEAD_SHA, "${{ github.event.pull_request.head.sha }}", file);
            assert.equal(job.env?.GITHUB_TOKEN, "${{ github.token }}", `${file} posts the comment with the job's own token`);
            assert.ok(job.steps.some((step) => (step.run ?? "").includes('--image-tag "pr-$PR_NUMBER-${HEAD_SHA::7}"')), file);
            assert.ok(!job.steps.some((step) => step.uses?.startsWith("actions/github-script")), `${file} leaves the comment to the bot`);
        }
        const header = fs.readFileSync(path.join(WORKFLOWS, "pr-up.yml"), "utf8");
        assert.match(header, /^# .*pr-<n>-<first 7 hex digits of the PR head commit>$/m, "pr-up.yml states the image-build contract");
    });

    it("reads the PRs' labels so the reaper keeps those labelled to be kept", () => {
        const reap = workflows["pr-reaper.yml"]!.jobs.reap! as Job & { env?: Record<string, string> };
        assert.equal(reap.env?.GITHUB_TOKEN, "${{ github.token }}");
        assert.equal(reap.permissions?.["pull-requests"], "read");
    });

    it("gives PR code only the PR stacks' backend, passphrase and cluster, never the long-lived stacks'", () => {
        for (const file of files) {
            const secrets = [...fs.readFileSync(path.join(WORKFLOWS, file), "utf8").matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
            assert.ok(secrets.length > 0, file);
            assert.deepEqual([...new Set(secrets)].filter((name) => !["PR_PULUMI_BACKEND_URL", "PR_PULUMI_CONFIG_PASSPHRASE", "PR_CLUSTER_KUBECONFIG"].includes(name!)), [], file);
        }
    });

    it("judges a PR with the base branch's policy pack, installed from its own lockfile", () => {
        for (const file of ["pr-preview.yml", "pr-up.yml"]) {
            const job = Object.values(workflows[file]!.jobs).find((j) => j.steps.some((step) => (step.run ?? "").includes("npm run --silent bot")))!;
            const packs = job.steps.flatMap((step) => botCommands(step.run ?? "")).flatMap((line) => {
                const command = parseCommand(line);
                return "policyPacks" in command ? command.policyPacks ?? [] : [];
            });
            assert.ok(packs.length > 0, `${file} runs no policy pack`);
            const base = job.steps.find((step) => step.uses?.startsWith("actions/checkout@") && step.with?.ref === "${{ github.event.pull_request.base.sha }}");
            assert.ok(base !== undefined, `${file} checks out no base commit`);
            const root = String(base.with!.path);
            // The pack imports lib/ for the image-reference parser, so both come from the base commit.
            assert.deepEqual(String(base.with!["sparse-checkout"]).trim().split("\n").sort(), ["lib", "policy"]);
            assert.deepEqual(packs, [`${root}/policy`], file);
            assert.ok(job.steps.some((step) => step.run === `npm ci --prefix ${root}/policy --no-audit --no-fund --ignore-scripts`), `${file} does not install the base pack`);
        }
        assert.ok(fs.existsSync(path.join(REPO_ROOT, "policy", "package-lock.json")), "the pack installs from its own lockfile");
    });

    it("keeps secrets away from pull requests from forks", () => {
        for (const file of ["pr-up.yml", "pr-close.yml"]) {
            for (const job of Object.values(workflows[file]!.jobs)) {
                assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository", file);
            }
        }
        assert.equal(workflows["pr-preview.yml"]!.jobs.preview!.if, "github.event.pull_request.head.repo.full_name == github.repository");
    });
});
