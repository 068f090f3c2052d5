import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UsageError } from "../../bot/errors";
import { updateOptions } from "../../bot/engine";
import { DEFAULT_ROLLOUT_TIMEOUT_MS, DEFAULT_WAIT_LOCK_MS, Updating } from "../../bot/options";
import { Command, commandUsage, parseCommand } from "../../bot/program";

function parse(line: string): Command {
    return parseCommand(line.split(" ").filter((word) => word !== ""));
}

/** Asserts that `line` is refused with a message matching `message` and the command's usage attached. */
function refuses(line: string, message: RegExp, usageOf?: string): UsageError {
    let caught: unknown;
    try {
        parse(line);
    } catch (error) {
        caught = error;
    }
    assert.ok(caught instanceof UsageError, `expected a UsageError for '${line}', got ${String(caught)}`);
    assert.match(caught.message, message);
    if (usageOf !== undefined) {
        assert.match(caught.usage, new RegExp(`^usage: rollout-bot ${usageOf} `));
    }
    return caught;
}

describe("bot argument parsing", () => {
    describe("commands", () => {
        it("parses pr up with every option", () => {
            assert.deepEqual(parse("pr up 123 --image-tag pr-123 --services cart-service,order-service --domain example.com --policy-pack policy --json"), {
                kind: "pr up", pr: 123, imageTag: "pr-123", services: ["cart-service", "order-service"], domain: "example.com",
                policyPacks: ["policy"], comment: false, json: true,
            });
        });

        it("leaves out services and domain when not given, so the stack keeps its own", () => {
            assert.deepEqual(parse("pr up 7 --image-tag sha-1a2b3c"), { kind: "pr up", pr: 7, imageTag: "sha-1a2b3c", policyPacks: [], comment: false, json: false });
        });

        it("parses pr preview like pr up", () => {
            assert.deepEqual(parse("pr preview 5 --image-tag pr-5 --policy-pack policy --policy-pack other --comment"), {
                kind: "pr preview", pr: 5, imageTag: "pr-5", policyPacks: ["policy", "other"], comment: true, json: false,
            });
        });

        it("parses pr down, pause and resume", () => {
            assert.deepEqual(parse("pr down 9"), { kind: "pr down", pr: 9, json: false });
            assert.deepEqual(parse("pr pause 9 --json"), { kind: "pr pause", pr: 9, json: true });
            assert.deepEqual(parse("pr resume 9"), { kind: "pr resume", pr: 9, json: false });
        });

        it("parses pr reap as a dry run unless --yes", () => {
            assert.deepEqual(parse("pr reap --idle 1h"), { kind: "pr reap", idleMs: 3_600_000, keepLabel: "keep-environment", yes: false, json: false });
            assert.deepEqual(parse("pr reap --idle 90m --destroy-after 7d --yes"), {
                kind: "pr reap", idleMs: 5_400_000, destroyAfterMs: 7 * 86_400_000, keepLabel: "keep-environment", yes: true, json: false,
            });
        });

        it("parses restart, status, promote, abort, retry", () => {
            assert.deepEqual(parse("restart dev"), { kind: "restart", stack: "dev", json: false });
            assert.deepEqual(parse("status prod"), { kind: "status", stack: "prod", json: false });
            assert.deepEqual(parse("status prod cart-service --json"), { kind: "status", stack: "prod", service: "cart-service", json: true });
            assert.deepEqual(parse("promote prod cart-service"), { kind: "promote", stack: "prod", service: "cart-service", full: false, json: false });
            assert.deepEqual(parse("promote prod cart-service --full"), { kind: "promote", stack: "prod", service: "cart-service", full: true, json: false });
            assert.deepEqual(parse("abort prod cart-service"), { kind: "abort", stack: "prod", service: "cart-service", json: false });
            assert.deepEqual(parse("retry prod cart-service"), { kind: "retry", stack: "prod", service: "cart-service", json: false });
        });

        it("runs a policy pack on every kind of update, not only on PR stacks", () => {
            assert.deepEqual(parse("restart prod --policy-pack policy"), { kind: "restart", stack: "prod", json: false, policyPacks: ["policy"] });
            const release = parse("release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2 --policy-pack policy --policy-pack /opt/base-policy");
            assert.deepEqual(updateOptions(release as Updating, "m"), { message: "m", policyPacks: ["policy", "/opt/base-policy"] });
            assert.deepEqual(updateOptions(parse("undo prod cart-service --policy-pack policy --wait-lock 1m") as Updating, "m"),
                { message: "m", waitLockMs: 60_000, policyPacks: ["policy"] });
            assert.deepEqual(updateOptions(parse("pr up 7 --image-tag t1 --policy-pack policy") as Updating, "m"), { message: "m", policyPacks: ["policy"] });
            assert.deepEqual(updateOptions(parse("restart prod") as Updating, "m"), { message: "m" });
        });

        it("takes each policy pack's config, checked before anything runs", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bot-pack-config-"));
            try {
                const config = path.join(dir, "policy-config.json");
                fs.writeFileSync(config, JSON.stringify({ "prod-rollout-analysis": { productionStacks: ["prod"] } }));
                const release = parse(`release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2 --policy-pack policy --policy-pack-config ${config}`);
                assert.deepEqual(updateOptions(release as Updating, "m"), { message: "m", policyPacks: ["policy"], policyPackConfigs: [config] });
                assert.deepEqual((parse(`pr preview 5 --image-tag t1 --policy-pack policy --policy-pack-config ${config}`) as Updating).policyPackConfigs, [config]);
                refuses(`restart prod --policy-pack-config ${config}`,
                    /--policy-pack-config is given 1 time\(s\) and --policy-pack 0: each config goes with the --policy-pack at the same position/, "restart");
                refuses(`undo prod cart-service --policy-pack policy --policy-pack-config ${path.join(dir, "missing.json")}`,
                    /--policy-pack-config '.*missing\.json': cannot read it \(ENOENT\)/, "undo");
                const notJson = path.join(dir, "bad.json");
                fs.writeFileSync(notJson, "productionStacks: [prod]");
                refuses(`restart prod --policy-pack policy --policy-pack-config ${notJson}`, /--policy-pack-config '.*bad\.json': not JSON/);
                fs.writeFileSync(notJson, "[\"prod\"]");
                refuses(`restart prod --policy-pack policy --policy-pack-config ${notJson}`, /expected a JSON object of policy names to settings/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("parses env preview of a long-lived stack", () => {
            assert.deepEqual(parse("env preview prod --markdown --policy-pack .policy-base/policy"),
                { kind: "env preview", stack: "prod", markdown: true, json: false, policyPacks: [".policy-base/policy"] });
            assert.deepEqual(parse("env preview dev --json"), { kind: "env preview", stack: "dev", markdown: false, json: true });
            refuses("env preview", /env preview: missing <stack>/);
        });

        it("parses env up, and an override of the promotion gate with its reason on release and env up only", () => {
            assert.deepEqual(parse("env up dev --wait --wait-lock 30m"),
                { kind: "env up", stack: "dev", wait: true, timeoutMs: DEFAULT_ROLLOUT_TIMEOUT_MS, waitLockMs: 30 * 60_000, json: false });
            assert.deepEqual(parse("env up prod --override-promotion-gate INC-4711"),
                { kind: "env up", stack: "prod", wait: false, timeoutMs: DEFAULT_ROLLOUT_TIMEOUT_MS, promotionOverride: "INC-4711", json: false });
            assert.deepEqual(parse("release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2 --override-promotion-gate INC-4711"), {
                kind: "release", stack: "prod", images: { "cart-service": "ghcr.io/pilab-hu/cart-service:v2" },
                wait: false, timeoutMs: DEFAULT_ROLLOUT_TIMEOUT_MS, promotionOverride: "INC-4711", json: false,
            });
            refuses("env up prod --override-promotion-gate x", /env up: --override-promotion-gate 'x': give the reason, e\.g\. 'INC-4711: dev cluster down, hotfix'/);
            refuses("restart prod --override-promotion-gate INC-4711", /restart: unknown option '--override-promotion-gate'/);
            refuses("env up", /env up: missing <stack>/);
        });

        it("parses release with several images, --wait and --timeout", () => {
            const digest = `ghcr.io/pilab-hu/order-service@sha256:${"a".repeat(64)}`;
            assert.deepEqual(parse(`release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2 --image order-service=${digest} --wait --timeout 20m`), {
                kind: "release", stack: "prod", images: { "cart-service": "ghcr.io/pilab-hu/cart-service:v2", "order-service": digest },
                wait: true, timeoutMs: 20 * 60_000, json: false,
            });
        });

        it("parses undo with the default rollout timeout", () => {
            assert.deepEqual(parse("undo prod cart-service --wait"), {
                kind: "undo", stack: "prod", service: "cart-service", wait: true, timeoutMs: DEFAULT_ROLLOUT_TIMEOUT_MS, json: false,
            });
        });

        it("takes --wait-lock with a duration, or alone for the default wait", () => {
            assert.deepEqual(parse("restart dev --wait-lock 5m"), { kind: "restart", stack: "dev", json: false, waitLockMs: 300_000 });
            assert.deepEqual(parse("restart dev --wait-lock"), { kind: "restart", stack: "dev", json: false, waitLockMs: DEFAULT_WAIT_LOCK_MS });
            assert.deepEqual(parse("restart dev --wait-lock --json"), { kind: "restart", stack: "dev", json: true, waitLockMs: DEFAULT_WAIT_LOCK_MS });
            assert.deepEqual(parse("pr up 3 --wait-lock=30s --image-tag t1"), { kind: "pr up", pr: 3, imageTag: "t1", policyPacks: [], comment: false, json: false, waitLockMs: 30_000 });
        });

        it("reads the word after --wait-lock as its duration, so a bare --wait-lock goes after the arguments", () => {
            refuses("restart --wait-lock dev", /restart: --wait-lock must be a duration .*got 'dev' \(to wait 10m, put a bare --wait-lock after the arguments\)/, "restart");
            assert.deepEqual(parse("pr down 4 --wait-lock --json"), { kind: "pr down", pr: 4, json: true, waitLockMs: DEFAULT_WAIT_LOCK_MS });
        });

        it("answers help <command> like <command> --help", () => {
            const help = parse("help pr");
            assert.ok(help.kind === "help" && help.text.startsWith("usage: rollout-bot pr <command>") && help.text.includes("pr reap"));
            assert.deepEqual(parse("help release"), parse("release --help"));
        });

        it("answers --help with the command's usage, and the bare tool with the overview", () => {
            const help = parse("release --help");
            assert.equal(help.kind, "help");
            assert.equal(help.kind === "help" && help.text, commandUsage("release"));
            const overview = parse("--help");
            assert.ok(overview.kind === "help" && overview.text.includes("pr reap") && overview.text.includes("undo"));
            const group = parse("pr --help");
            assert.ok(group.kind === "help" && group.text.includes("pr preview"));
        });

        it("documents every option of a command in its usage", () => {
            const usage = commandUsage("release");
            for (const option of ["--image <service>=<ref>", "--wait", "--timeout <duration>", "--wait-lock [duration]", "--json", "--help"]) {
                assert.ok(usage.includes(option), `${option} missing from\n${usage}`);
            }
        });
    });

    describe("refusals", () => {
        it("names a PR number that is not a positive whole number", () => {
            refuses("pr up abc --image-tag x", /pr up: <n> must be a pull request number .*got 'abc'/, "pr up");
            refuses("pr down 0", /got '0'/, "pr down");
            refuses("pr pause -3", /pr pause/, "pr pause");
        });

        it("names a missing argument or option", () => {
            refuses("pr up", /pr up: missing <n>/, "pr up");
            refuses("pr up 12", /pr up: missing --image-tag/, "pr up");
            refuses("pr reap", /pr reap: missing --idle/, "pr reap");
            refuses("release prod", /release: missing --image/, "release");
            refuses("promote prod", /promote: missing <service>/, "promote");
        });

        it("names an unknown or misplaced option and an extra argument", () => {
            refuses("restart dev --force", /restart: .*--force/, "restart");
            refuses("status prod --wait-lock", /status: .*--wait-lock/, "status");
            refuses("abort prod cart-service extra", /abort: unexpected argument 'extra'/, "abort");
        });

        it("refuses floating and malformed image tags and references, naming the option", () => {
            refuses("pr up 1 --image-tag latest", /--image-tag 'latest': a floating tag/, "pr up");
            refuses("pr up 1 --image-tag=-bad", /--image-tag '-bad'/, "pr up");
            refuses("pr up 1 --image-tag", /pr up: .*--image-tag/, "pr up");
            refuses("release prod --image cart-service=ghcr.io/x/cart:latest", /--image cart-service: a floating tag/, "release");
            refuses("release prod --image cart-service=ghcr.io/x/cart", /--image cart-service: the reference has no tag or digest/, "release");
            refuses("release prod --image ghcr.io/x/cart:v1", /--image must be <service>=<image reference>/, "release");
            refuses("release prod --image a=r:1 --image a=r:2", /--image names a twice/, "release");
        });

        it("refuses bad durations, naming the option", () => {
            refuses("pr reap --idle soon", /--idle must be a duration .*got 'soon'/, "pr reap");
            refuses("release prod --image a=r:1 --timeout 0s", /--timeout must be a duration/, "release");
            refuses("pr reap --idle 2h --destroy-after 1h", /--destroy-after \(1h\) must be longer than --idle \(2h\)/, "pr reap");
            assert.throws(() => parseCommand(["pr", "reap", "--idle", "2h", "--keep-label", " keep"]), /--keep-label must be a GitHub label name .*got ' keep'/);
            assert.equal((parseCommand(["pr", "reap", "--idle", "2h", "--keep-label", ""]) as { keepLabel: string }).keepLabel, "");
        });

        it("refuses bad service lists, domains, stacks and services", () => {
            refuses("pr up 1 --image-tag t --services cart-service,Bad_Name", /--services .*'Bad_Name'/, "pr up");
            refuses("pr up 1 --image-tag t --services a,a", /--services names a service twice/, "pr up");
            refuses("pr up 1 --image-tag t --domain localhost", /--domain 'localhost'/, "pr up");
            refuses("restart 'prod'", /<stack> must be a stack name/, "restart");
            refuses("promote prod Cart", /<service> must be a service name .*got 'Cart'/, "promote");
        });

        it("refuses unknown commands with the overview", () => {
            const error = refuses("deploy prod", /unknown command 'deploy'/);
            assert.match(error.usage, /^usage: rollout-bot <command>/);
            refuses("pr merge 1", /unknown command 'pr merge'/);
            refuses("", /no command given/);
            assert.match(refuses("pr", /^pr needs a subcommand$/).usage, /^usage: rollout-bot pr <command>/);
        });
    });
});
