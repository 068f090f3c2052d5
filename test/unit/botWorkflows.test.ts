import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseCommand } from "../../bot/program";
import { REPO_ROOT } from "../support/projectConfig";

/**
 * The workflows' structure and their bot command lines. actionlint checks the workflow syntax
 * (docs/release-bot.md says how to run it); this test keeps what it cannot know: that every
 * command a workflow gives the bot parses, and the lock and permission rules of the design.
 */

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

interface Step { readonly uses?: string; readonly run?: string; readonly with?: Record<string, unknown> }
interface Job {
    readonly permissions?: Record<string, string>;
    readonly steps: Step[];
    readonly if?: string;
    readonly needs?: string | string[];
    readonly environment?: string;
    readonly env?: Record<string, string>;
    readonly strategy?: { readonly matrix?: { readonly stack?: string[] } };
    readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
}
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

/** A job's bot command lines, one set per stack of its matrix (`"$STACK"` is `${{ matrix.stack }}`). */
function jobCommands(job: Job): string[][] {
    const stacks = job.strategy?.matrix?.stack ?? [undefined];
    return stacks.flatMap((stack) => job.steps.flatMap((step) => {
        const script = step.run ?? "";
        return botCommands(stack === undefined ? script : script.replace(/"\$STACK"/g, stack));
    }));
}

/** The paths of the program and the long-lived stacks' config: what env-preview.yml previews and env-up.yml ships. */
const ENVIRONMENT_PATHS = [
    "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "index.ts", "components/**", "stacks/**", "config/**", "lib/**", "package.json", "package-lock.json",
];

/** The secrets each kind of job may name (docs/release-bot.md, "Workflows"). */
const PR_SECRETS = ["PR_PULUMI_BACKEND_URL", "PR_PULUMI_CONFIG_PASSPHRASE", "PR_CLUSTER_KUBECONFIG"];
/** Read-only: of the GitHub environments dev-preview and prod-preview. */
const PREVIEW_SECRETS = ["ENV_PREVIEW_PULUMI_BACKEND_URL", "ENV_PREVIEW_PULUMI_CONFIG_PASSPHRASE", "ENV_PREVIEW_CLUSTER_KUBECONFIG"];
/** Write access to dev and prod: of the GitHub environments dev and prod, deployable from main only. */
const WRITE_SECRETS = ["ENV_PULUMI_BACKEND_URL", "ENV_PULUMI_CONFIG_PASSPHRASE", "ENV_CLUSTER_KUBECONFIG"];

function secretsOf(job: Job): string[] {
    return [...new Set([...JSON.stringify(job).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]!))];
}

/** Workflows that run a pull request's code. */
const prWorkflows = Object.entries(workflows).filter(([, workflow]) => "pull_request" in workflow.on);

describe("workflows", () => {
    it("has the PR preview, up, close and reaper workflows and the environments' preview and up", () => {
        assert.deepEqual(files.sort(), ["env-preview.yml", "env-up.yml", "pr-close.yml", "pr-preview.yml", "pr-reaper.yml", "pr-up.yml"]);
    });

    it("gives the bot only command lines it accepts", () => {
        const lines = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap(jobCommands));
        assert.ok(lines.length >= 9, `found only ${lines.length} bot command lines`);
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
                    const commenter = file === "pr-preview.yml" || file === "pr-up.yml" || file === "env-preview.yml";
                    assert.ok(level === "read" || (commenter && scope === "pull-requests"), `${file} grants ${scope}: ${level}`);
                }
            }
        }
    });

    it("leaves no token in the checkout for the PR's code to read", () => {
        const checkouts = Object.entries(workflows).flatMap(([file, workflow]) => Object.values(workflow.jobs)
            .flatMap((job) => job.steps.filter((step) => step.uses?.startsWith("actions/checkout@")).map((step) => [file, step] as const)));
        assert.ok(checkouts.length >= 8, "every workflow checks the repository out");
        for (const file of ["env-preview.yml", "env-up.yml"]) {
            assert.ok(checkouts.some(([name]) => name === file), `${file} checks the repository out`);
        }
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
        assert.deepEqual(prWorkflows.map(([file]) => file).sort(), ["env-preview.yml", "pr-close.yml", "pr-preview.yml", "pr-up.yml"]);
        for (const [file, workflow] of prWorkflows) {
            for (const [name, job] of Object.entries(workflow.jobs)) {
                const secrets = secretsOf(job);
                // The read-only preview credentials only in a job of the matching preview environment.
                const allowed = job.environment === "${{ matrix.stack }}-preview" ? PREVIEW_SECRETS : PR_SECRETS;
                assert.deepEqual(secrets.filter((secret) => !allowed.includes(secret)), [], `${file} ${name}`);
                assert.ok(job.environment === undefined || job.environment.endsWith("-preview"), `${file} ${name} runs PR code in the environment ${job.environment}`);
            }
        }
        assert.deepEqual(workflows["pr-reaper.yml"]!.jobs.reap!.environment, undefined);
        assert.deepEqual(secretsOf(workflows["pr-reaper.yml"]!.jobs.reap!).filter((secret) => !PR_SECRETS.includes(secret)), [], "pr-reaper.yml");
    });

    it("gives dev's and prod's write credentials only to the jobs of main that run in their GitHub environment", () => {
        for (const [file, workflow] of Object.entries(workflows)) {
            for (const [name, job] of Object.entries(workflow.jobs)) {
                const write = secretsOf(job).filter((secret) => WRITE_SECRETS.includes(secret));
                if (write.length === 0) {
                    continue;
                }
                assert.equal(file, "env-up.yml", `${file} ${name} names ${write.join(", ")}`);
                assert.ok(job.environment === "dev" || job.environment === "prod", `${file} ${name} would read ${write.join(", ")} from the repository's secrets`);
            }
        }
        const up = workflows["env-up.yml"]!;
        assert.deepEqual(Object.keys(up.on).sort(), ["push", "workflow_dispatch"], "never on pull_request");
        for (const job of Object.values(up.jobs)) {
            assert.deepEqual(secretsOf(job).sort(), [...WRITE_SECRETS].sort());
        }
    });

    it("previews dev and prod on a PR that touches their program or config, into the PR's comment", () => {
        const workflow = workflows["env-preview.yml"]!;
        assert.deepEqual(workflow.on.pull_request, { types: ["opened", "synchronize", "reopened"], paths: ENVIRONMENT_PATHS });
        const job = workflow.jobs.preview!;
        assert.deepEqual(job.strategy?.matrix?.stack, ["dev", "prod"]);
        const commands = jobCommands(job).map((line) => parseCommand(line));
        assert.deepEqual(commands.map((c) => [c.kind, "stack" in c ? c.stack : undefined, "markdown" in c ? c.markdown : undefined, "commentOn" in c ? c.commentOn : undefined]),
            [["env preview", "dev", true, 123], ["env preview", "prod", true, 123]]);
        assert.equal(job.env?.PR_NUMBER, "${{ github.event.pull_request.number }}");
        assert.equal(job.env?.STACK, "${{ matrix.stack }}");
        assert.equal(job.env?.GITHUB_TOKEN, "${{ github.token }}", "the bot posts with the job's own token");
    });

    it("ships dev on a merge to main, then prod only after dev, in the prod environment whose reviewers may hold it", () => {
        const workflow = workflows["env-up.yml"]!;
        assert.deepEqual(workflow.on.push, { branches: ["main"], paths: ENVIRONMENT_PATHS });
        assert.ok("workflow_dispatch" in workflow.on);
        const { dev, prod, ...others } = workflow.jobs;
        assert.deepEqual(Object.keys(others), []);
        assert.equal(dev!.environment, "dev");
        assert.equal(prod!.environment, "prod");
        assert.equal(dev!.needs, undefined);
        assert.deepEqual([prod!.needs].flat(), ["dev"], "prod waits for dev to be Healthy");
        const summary = (job: Job) => jobCommands(job).map((line) => parseCommand(line)).map((c) => [
            c.kind, "stack" in c ? c.stack : undefined, "wait" in c ? c.wait : undefined, "waitLockMs" in c ? c.waitLockMs : undefined,
            "policyPacks" in c ? c.policyPacks : undefined, "promotionOverride" in c ? c.promotionOverride : undefined,
        ]);
        assert.deepEqual(summary(dev!), [["env up", "dev", true, 30 * 60_000, ["policy"], undefined]]);
        assert.deepEqual(summary(prod!), [["env up", "prod", true, 30 * 60_000, ["policy"], undefined]]);
    });

    it("runs one update per long-lived stack at a time, never cancelling one halfway", () => {
        const workflow = workflows["env-up.yml"]!;
        assert.equal(workflow.concurrency, undefined, "a workflow-wide group would hold prod's queue behind dev's");
        for (const stack of ["dev", "prod"]) {
            assert.deepEqual(workflow.jobs[stack]!.concurrency, { group: `env-up-${stack}`, "cancel-in-progress": false }, stack);
        }
    });

    it("judges a PR with the base branch's policy pack, installed from its own lockfile", () => {
        for (const file of ["pr-preview.yml", "pr-up.yml", "env-preview.yml"]) {
            const job = Object.values(workflows[file]!.jobs).find((j) => j.steps.some((step) => (step.run ?? "").includes("npm run --silent bot")))!;
            const commands = jobCommands(job);
            const packs = [...new Set(commands.flatMap((line) => {
                const command = parseCommand(line);
                return "policyPacks" in command ? command.policyPacks ?? [] : [];
            }))];
            assert.ok(commands.every((line) => {
                const command = parseCommand(line);
                return "policyPacks" in command && command.policyPacks !== undefined && command.policyPacks.length > 0;
            }), `${file}: a bot command without the pack`);
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
        assert.equal(workflows["env-preview.yml"]!.jobs.preview!.if, "github.event.pull_request.head.repo.full_name == github.repository");
    });
});
