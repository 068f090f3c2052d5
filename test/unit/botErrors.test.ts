import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandError, ConcurrentUpdateError, ConfigMap, DiagnosticEvent, EngineEvent, Stack, StackNotFoundError, UpOptions } from "@pulumi/pulumi/automation";
import { EngineContext, lockRetryDelay, updateOptions, updateStack, withLockWait } from "../../bot/engine";
import { BotError, EngineFailure, EXIT, extractConfigError, promotionRefusalOf, reportFailure, RolloutOutcomeError, UsageError } from "../../bot/errors";
import { Output } from "../../bot/output";
import { PROMOTION_OVERRIDE_VARIABLE, promotionRefusalMessage } from "../../lib/promotionGate";

/** A CommandError around a CommandResult with this stdout and stderr, printed as the Automation API prints it. */
function withResult<T extends Error>(kind: new (...args: never[]) => T, stdout: string, stderr: string, code: number): T {
    const result = { toString: () => `code: ${code}\n stdout: ${stdout}\n stderr: ${stderr}\n err?: \n` };
    return new (kind as unknown as new (result: { toString(): string }) => T)(result);
}

/**
 * What the Automation API throws for a CLI run that exited non-zero: it runs the CLI through
 * execa, whose error message (execa's line, then the CLI's stderr, then its stdout) becomes the
 * result's stderr, with an empty stdout and code -2.
 */
function commandError<T extends Error>(kind: new (...args: never[]) => T, cliStdout: string, cliStderr: string): T {
    const message = ["Command failed with exit code 255: pulumi up --yes --skip-preview --stack pr-5 --non-interactive", cliStderr, cliStdout]
        .filter((part) => part !== "").join("\n");
    return withResult(kind, "", message, -2);
}

/** The CLI's output when the program throws the config contract's ConfigError during `pulumi up`. */
const CONFIG_ERROR_STDOUT = [
    "Updating (pr-5):",
    "",
    "    pulumi:pulumi:Stack rollout-stacks-pr-5 running ",
    "    pulumi:pulumi:Stack rollout-stacks-pr-5 running error: Invalid configuration (2 problems); nothing was changed:",
    "    pulumi:pulumi:Stack rollout-stacks-pr-5 **failed** 1 error",
    "Diagnostics:",
    "  pulumi:pulumi:Stack (rollout-stacks-pr-5):",
    "    error: Invalid configuration (2 problems); nothing was changed:",
    "      - rollout-stacks:pr.services[0]: no service named nope in services; known: product-service, cart-service (given: \"nope\")",
    "      - rollout-stacks:imageTag: a floating tag like 'latest' cannot be rolled out or undone; pin a version or a digest (given: \"latest\")",
    "",
    "Resources:",
    "    1 unchanged",
    "",
    "Duration: 2s",
].join("\n");

const CONFIG_BLOCK = [
    "Invalid configuration (2 problems); nothing was changed:",
    "  - rollout-stacks:pr.services[0]: no service named nope in services; known: product-service, cart-service (given: \"nope\")",
    "  - rollout-stacks:imageTag: a floating tag like 'latest' cannot be rolled out or undone; pin a version or a digest (given: \"latest\")",
].join("\n");

const STACK_URN = "urn:pulumi:pr-5::rollout-stacks::pulumi:pulumi:Stack::rollout-stacks-pr-5";
const DEPLOYMENT_URN = "urn:pulumi:pr-5::rollout-stacks::rollout-stacks:pr:PrEnvironment$kubernetes:apps/v1:Deployment::cart-service";

/**
 * A diagnostic as the engine streams it (`pulumi up --event-log`, as the Automation API parses it).
 * The program's ConfigError comes as one of severity error, prefix `error: `, no urn, and the
 * program's whole message with a trailing newline (seen from the Pulumi CLI 3.259).
 */
function diagnostic(message: string, extra: Partial<DiagnosticEvent> = {}): EngineEvent {
    return { sequence: 1, timestamp: 1_736_951_400, diagnosticEvent: { prefix: "error: ", message: `${message}\n`, color: "never", severity: "error", ...extra } };
}

/** CONFIG_ERROR_STDOUT after a change of the CLI's format that leaves the program's message out of its text. */
const REFORMATTED_STDOUT = CONFIG_ERROR_STDOUT.split("\n").filter((line) => !/Invalid configuration|^\s+- /.test(line)).join("\n");

const LOCKED_STDERR = [
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
    "  file:///home/ci/.cache/rollout-stacks/state/.pulumi/locks/organization/rollout-stacks/pr-5/4b1c.json: created by ci@runner-7 (pid 4242) at 2025-01-15T14:30:00Z",
].join("\n");

function sink(): { text: string; write(text: string): void } {
    return { text: "", write(text: string) { this.text += text; } };
}

describe("bot errors", () => {
    describe("exit codes", () => {
        it("maps bad usage to 2 with the usage shown", () => {
            const report = reportFailure(new UsageError("pr up: missing --image-tag", "usage: rollout-bot pr up <n> [options]"));
            assert.equal(report.exitCode, 2);
            assert.equal(report.message, "error: pr up: missing --image-tag\n\nusage: rollout-bot pr up <n> [options]");
        });

        it("maps the program's config error to 3 and shows just its block", () => {
            const report = reportFailure(commandError(CommandError, CONFIG_ERROR_STDOUT, "error: update failed"));
            assert.equal(report.exitCode, 3);
            assert.equal(report.message, [
                "error: the program refused the stack's config.",
                "Invalid configuration (2 problems); nothing was changed:",
                "  - rollout-stacks:pr.services[0]: no service named nope in services; known: product-service, cart-service (given: \"nope\")",
                "  - rollout-stacks:imageTag: a floating tag like 'latest' cannot be rolled out or undone; pin a version or a digest (given: \"latest\")",
            ].join("\n"));
        });

        it("maps a missing stack to 4", () => {
            const report = reportFailure(commandError(StackNotFoundError, "", "error: no stack named 'pr-9' found"));
            assert.equal(report.exitCode, 4);
            assert.equal(report.message, "error: no stack named 'pr-9' found");
        });

        it("says how to repair a state file a killed pulumi left unreadable", () => {
            const report = reportFailure(commandError(CommandError, "", "error: failed to load checkpoint: EOF"));
            assert.equal(report.exitCode, 1);
            assert.match(report.message, /^error: the stack's state could not be read: a pulumi process was killed while it was writing it/);
            assert.match(report.message, /remove the empty <stack>\.json\.attrs .* pulumi refresh --clear-pending-creates/);
        });

        it("reads the CLI's output also when the result keeps stdout and stderr apart", () => {
            assert.equal(reportFailure(withResult(CommandError, CONFIG_ERROR_STDOUT, "error: update failed", 255)).exitCode, 3);
            const report = reportFailure(withResult(StackNotFoundError, "", "error: no stack named 'pr-9' found", 255));
            assert.equal(report.exitCode, 4);
            assert.equal(report.message, "error: no stack named 'pr-9' found");
        });

        it("maps a held lock to 5 with who holds it and no stack trace", () => {
            const report = reportFailure(commandError(ConcurrentUpdateError, "", LOCKED_STDERR));
            assert.equal(report.exitCode, 5);
            assert.match(report.message, /another update is running on this stack, so nothing was changed/);
            assert.match(report.message, /--wait-lock/);
            assert.match(report.message, /locked by 1 lock/);
            assert.match(report.message, /created by ci@runner-7 \(pid 4242\)/);
            assert.doesNotMatch(report.message, /\n\s+at /);
        });

        it("maps a Degraded or timed-out Rollout to 6", () => {
            assert.equal(reportFailure(new RolloutOutcomeError("cart-service is Degraded", "degraded")).exitCode, 6);
            assert.equal(reportFailure(new RolloutOutcomeError("cart-service did not settle", "timeout")).exitCode, 6);
        });

        it("maps any other engine failure to 1 and keeps the engine's diagnostics", () => {
            const stdout = "Updating (dev):\n    kubernetes:apps/v1:Deployment cart-service **updating failed**\nDiagnostics:\n  kubernetes:apps/v1:Deployment (cart-service):\n    error: the server could not find the requested resource\n";
            const report = reportFailure(commandError(CommandError, stdout, "error: update failed"));
            assert.equal(report.exitCode, 1);
            assert.equal(report.message, [
                "error: the Pulumi engine failed:",
                "Diagnostics:",
                "  kubernetes:apps/v1:Deployment (cart-service):",
                "    error: the server could not find the requested resource",
                "error: update failed",
            ].join("\n"));
        });

        it("tells how to get the Pulumi CLI when it is not on PATH", () => {
            const report = reportFailure(withResult(CommandError, "", "Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT", -2));
            assert.equal(report.exitCode, 1);
            assert.match(report.message, /Pulumi CLI was not found on PATH/);
        });

        it("keeps the code of a diagnosed failure and the text of an unexpected one", () => {
            assert.deepEqual(reportFailure(new BotError("no Rollout cart-service", EXIT.notFound)), { exitCode: 4, message: "error: no Rollout cart-service" });
            const report = reportFailure(new TypeError("boom"));
            assert.equal(report.exitCode, 1);
            assert.match(report.message, /TypeError: boom/);
        });

        it("uses distinct codes for distinct failures", () => {
            const codes = Object.values(EXIT);
            assert.equal(new Set(codes).size, codes.length);
        });
    });

    describe("classifying from engine events", () => {
        const failed = (events: readonly EngineEvent[], cliStdout = CONFIG_ERROR_STDOUT) =>
            new EngineFailure(commandError(CommandError, cliStdout, "error: update failed"), events);

        it("maps the program's config diagnostic to 3 and shows its block", () => {
            const report = reportFailure(failed([diagnostic("connection refused", { urn: DEPLOYMENT_URN }), diagnostic(CONFIG_BLOCK)], ""));
            assert.equal(report.exitCode, 3);
            assert.equal(report.message, `error: the program refused the stack's config.\n${CONFIG_BLOCK}`);
        });

        it("maps other error diagnostics to 1 with their messages, not the CLI's text", () => {
            const report = reportFailure(failed([
                diagnostic("the server could not find the requested resource", { urn: DEPLOYMENT_URN }),
                diagnostic("Running program failed with an unhandled exception:\nTypeError: boom", { urn: STACK_URN }),
            ]));
            assert.equal(report.exitCode, 1);
            assert.equal(report.message, [
                "error: the Pulumi engine failed:",
                "cart-service: the server could not find the requested resource",
                "rollout-stacks-pr-5: Running program failed with an unhandled exception:\nTypeError: boom",
            ].join("\n"));
        });

        it("maps the promotion gate's refusal to 9 with each image and what to do, and counts it as applying nothing", () => {
            const refusal = promotionRefusalMessage([{ service: "cart-service", image: "ghcr.io/pilab-hu/cart-service:v9", source: "dev", sourceHealthy: ["ghcr.io/pilab-hu/cart-service:v2"] }]);
            const report = reportFailure(failed([diagnostic(refusal, { urn: STACK_URN })], ""));
            assert.equal(report.exitCode, 9);
            assert.equal(report.message, `error: ${refusal}`);
            assert.equal(promotionRefusalOf(failed([diagnostic(CONFIG_BLOCK)], "")), undefined);
            // Without diagnostics (the CLI failed before the engine streamed any), from the CLI's text.
            assert.equal(reportFailure(failed([], `Diagnostics:\n  pulumi:pulumi:Stack (rollout-stacks-prod):\n    error: ${refusal.split("\n").join("\n    ")}\n`)).exitCode, 9);
        });

        it("maps mandatory policy violations to 8, naming each, and says whether anything changed first", () => {
            const ROLLOUT_URN = "urn:pulumi:prod::rollout-stacks::rollout-stacks:environment:ProgressiveService$kubernetes:argoproj.io/v1alpha1:Rollout::prod-cart-service-rollout";
            const violation = (policyName: string, enforcementLevel: "mandatory" | "warning", message: string): EngineEvent => ({
                sequence: 2, timestamp: 1_736_951_401,
                policyEvent: { resourceUrn: ROLLOUT_URN, message: `${message}\n`, color: "never", policyName, policyPackName: "rollout-stacks", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel },
            });
            const step = (op: string): EngineEvent => ({
                sequence: 1, timestamp: 1_736_951_400,
                resourcePreEvent: { metadata: { op, urn: DEPLOYMENT_URN, type: "kubernetes:apps/v1:Deployment", provider: "" } } as EngineEvent["resourcePreEvent"],
            });
            const events = [step("same"), violation("pinned-images", "warning", "uses a tag"), violation("prod-rollout-analysis", "mandatory", "has no analysis step"),
                diagnostic("preview failed: 1 mandatory policy violation", { urn: STACK_URN })];
            const refused = reportFailure(failed(events, ""));
            assert.equal(refused.exitCode, EXIT.policy);
            assert.equal(refused.message, "error: a policy pack refused the update (1 mandatory violation); nothing was changed:\n" +
                "  - rollout-stacks/prod-rollout-analysis on prod-cart-service-rollout: has no analysis step");
            assert.equal(failed(events, "").startedChanges, false);
            const late = failed([step("update"), ...events], "");
            assert.equal(late.startedChanges, true);
            assert.match(reportFailure(late).message, /already changed some resources when it stopped; run pulumi preview/);
            assert.equal(reportFailure(failed([violation("pinned-images", "warning", "uses a tag"), diagnostic("connection refused", { urn: DEPLOYMENT_URN })], "")).exitCode, 1,
                "an advisory violation refuses nothing");
        });

        it("ignores ephemeral, info and warning diagnostics", () => {
            const noise = [
                diagnostic(CONFIG_BLOCK, { ephemeral: true }),
                diagnostic(CONFIG_BLOCK, { severity: "info" }),
                diagnostic(CONFIG_BLOCK, { severity: "info#err" }),
                diagnostic(CONFIG_BLOCK, { severity: "warning" }),
            ];
            assert.deepEqual(failed(noise).diagnostics, []);
            const report = reportFailure(failed([...noise, diagnostic("connection refused", { urn: DEPLOYMENT_URN })]));
            assert.equal(report.exitCode, 1);
            assert.equal(report.message, "error: the Pulumi engine failed:\ncart-service: connection refused");
        });

        it("falls back to the CLI's text when the engine emitted no diagnostics", () => {
            const report = reportFailure(failed([{ sequence: 0, timestamp: 0, cancelEvent: {} }]));
            assert.equal(report.exitCode, 3);
            assert.equal(report.message, `error: the program refused the stack's config.\n${CONFIG_BLOCK}`);
        });

        it("still finds the config error when the CLI's text changes format", () => {
            assert.equal(reportFailure(commandError(CommandError, REFORMATTED_STDOUT, "error: update failed")).exitCode, 1,
                "the text fallback alone cannot read this output");
            const report = reportFailure(failed([diagnostic(CONFIG_BLOCK)], REFORMATTED_STDOUT));
            assert.equal(report.exitCode, 3);
            assert.equal(report.message, `error: the program refused the stack's config.\n${CONFIG_BLOCK}`);
        });

        it("keeps the engine's own error as the cause", () => {
            const cause = commandError(CommandError, "", "error: update failed");
            const failure = new EngineFailure(cause, []);
            assert.equal(failure.cause, cause);
            assert.equal(failure.message, cause.message);
        });
    });

    describe("an update the engine refused", () => {
        let workDir: string;
        beforeEach(() => {
            workDir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bot-engine-"));
        });
        afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

        /** A stack whose `up` streams `events` and then fails as the CLI does, with `cliStdout` as its text. */
        function refusingStack(events: readonly EngineEvent[], cliStdout: string): Stack & { config: ConfigMap; seen: [string | undefined, string | undefined][] } {
            const stack = {
                name: "pr-5",
                workspace: { workDir, envVars: { [PROMOTION_OVERRIDE_VARIABLE]: "" } as Record<string, string> },
                /** The override the program would have seen, and the update's message. */
                seen: [] as [string | undefined, string | undefined][],
                config: { "rollout-stacks:imageTag": { value: "v1", secret: false } } as ConfigMap,
                getAllConfig: async () => ({ ...stack.config }),
                setAllConfigJson: async (json: string) => {
                    Object.assign(stack.config, JSON.parse(json) as ConfigMap);
                },
                removeAllConfig: async (keys: string[]) => keys.forEach((key) => delete stack.config[key]),
                up: async (options: UpOptions) => {
                    stack.seen.push([stack.workspace.envVars[PROMOTION_OVERRIDE_VARIABLE], options.message]);
                    events.forEach((event) => options.onEvent?.(event));
                    throw commandError(CommandError, cliStdout, "error: update failed");
                },
            };
            return stack as unknown as Stack & { config: ConfigMap; seen: [string | undefined, string | undefined][] };
        }
        const setLatest = () => ({ set: { "rollout-stacks:imageTag": { value: "latest", secret: false } }, remove: [] });
        const ctx = (): EngineContext => ({ out: new Output(sink(), sink(), false), now: () => 0, sleep: async () => undefined });

        it("puts the config back and reports 3 when the engine's diagnostics carry the config error", async () => {
            const stack = refusingStack([diagnostic(CONFIG_BLOCK)], REFORMATTED_STDOUT);
            await assert.rejects(updateStack(stack, setLatest, { message: "test" }, ctx()), (error: unknown) => {
                assert.ok(error instanceof EngineFailure);
                assert.ok(error.cause instanceof CommandError);
                assert.equal(reportFailure(error).exitCode, 3);
                return true;
            });
            assert.equal(stack.config["rollout-stacks:imageTag"]?.value, "v1");
        });

        it("puts the config back and reports 9 when the promotion gate refused; an override reaches the program for that update only, on record", async () => {
            const refusal = promotionRefusalMessage([{ service: "cart-service", image: "ghcr.io/pilab-hu/cart-service:v9", source: "dev", sourceHealthy: [] }]);
            const stack = refusingStack([diagnostic(refusal, { urn: STACK_URN })], "");
            await assert.rejects(updateStack(stack, setLatest, { message: "rollout-bot release" }, ctx()), (error: unknown) => reportFailure(error).exitCode === 9);
            assert.equal(stack.config["rollout-stacks:imageTag"]?.value, "v1");
            const override = { ...updateOptions({ json: false, promotionOverride: "INC-4711: dev down" }, "rollout-bot release") };
            await assert.rejects(updateStack(stack, setLatest, override, ctx()));
            assert.deepEqual(stack.seen, [["", "rollout-bot release"], ["INC-4711: dev down", "rollout-bot release [promotion gate overridden: INC-4711: dev down]"]]);
            assert.equal(stack.workspace.envVars[PROMOTION_OVERRIDE_VARIABLE], "", "cleared after the update");
        });

        it("leaves the config as written when the engine failed otherwise, even if the CLI's text mentions a config error", async () => {
            const stack = refusingStack([diagnostic("connection refused", { urn: DEPLOYMENT_URN })], CONFIG_ERROR_STDOUT);
            await assert.rejects(updateStack(stack, setLatest, { message: "test" }, ctx()), (error: unknown) => reportFailure(error).exitCode === 1);
            assert.equal(stack.config["rollout-stacks:imageTag"]?.value, "latest");
        });
    });

    describe("config error extraction", () => {
        it("finds nothing in output without the program's config error", () => {
            assert.equal(extractConfigError("error: update failed\nDiagnostics:\n  error: connection refused"), undefined);
        });

        it("strips colour codes", () => {
            assert.equal(extractConfigError("\u001b[31merror: \u001b[0mInvalid configuration (1 problem); nothing was changed:\n   - rollout-stacks:domain: expected a DNS name (given: \"x\")"),
                "Invalid configuration (1 problem); nothing was changed:\n  - rollout-stacks:domain: expected a DNS name (given: \"x\")");
        });
    });

    describe("waiting for the stack lock", () => {
        function fakeClock(): EngineContext & { slept: number[]; err: ReturnType<typeof sink> } {
            let now = 0;
            const slept: number[] = [];
            const err = sink();
            return {
                out: new Output(sink(), err, false),
                now: () => now,
                sleep: async (ms) => {
                    slept.push(ms);
                    now += ms;
                },
                slept,
                err,
            };
        }
        const locked = () => commandError(ConcurrentUpdateError, "", LOCKED_STDERR);

        it("fails at once without --wait-lock, with the engine's ConcurrentUpdateError", async () => {
            const ctx = fakeClock();
            await assert.rejects(withLockWait(() => Promise.reject(locked()), undefined, ctx), ConcurrentUpdateError);
            assert.deepEqual(ctx.slept, []);
        });

        it("retries with backoff until the lock frees", async () => {
            const ctx = fakeClock();
            let attempts = 0;
            const result = await withLockWait(async () => {
                attempts++;
                if (attempts < 4) {
                    throw locked();
                }
                return "updated";
            }, 60_000, ctx);
            assert.equal(result, "updated");
            assert.deepEqual(ctx.slept, [1_000, 2_000, 4_000]);
            assert.match(ctx.err.text, /another update holds the stack; trying again in 1s/);
        });

        it("gives up after the wait with exit code 5", async () => {
            const ctx = fakeClock();
            await assert.rejects(withLockWait(() => Promise.reject(locked()), 10_000, ctx), (error: unknown) => {
                assert.ok(error instanceof BotError);
                assert.equal(error.exitCode, 5);
                assert.match(error.message, /still held the stack after waiting 10s; nothing was changed/);
                return true;
            });
            assert.equal(ctx.slept.reduce((a, b) => a + b, 0), 10_000);
        });

        it("does not retry other failures", async () => {
            const ctx = fakeClock();
            const failure = commandError(CommandError, "", "error: update failed");
            await assert.rejects(withLockWait(() => Promise.reject(failure), 60_000, ctx), (error) => error === failure);
            assert.deepEqual(ctx.slept, []);
        });

        it("backs off exponentially up to 30 seconds", () => {
            assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(lockRetryDelay), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        });
    });
});
