import {
    CommandError, ConcurrentUpdateError, DiagnosticEvent, EngineEvent, PolicyEvent, StackAlreadyExistsError, StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { PROMOTION_ADVICE_START, PROMOTION_REFUSED_HEADER } from "../lib/promotionGate";
import { urnName } from "./output";

/**
 * Exit codes: a contract with CI and chat ops, documented in docs/release-bot.md. Each failure
 * class gets its own code so a caller can tell "try again later" (5) from "fix your input" (2, 3).
 */
export const EXIT = {
    ok: 0,
    /** The engine, the Kubernetes API or the bot failed for another reason; the message says why. */
    failed: 1,
    usage: 2,
    /** The program refused the stack's config (its `Invalid configuration (...)` error). */
    config: 3,
    /** The stack, or the service's Rollout, does not exist. */
    notFound: 4,
    /** Another update holds the stack's lock. */
    concurrentUpdate: 5,
    /** A followed Rollout ended Degraded or aborted, or did not settle in time. */
    rollout: 6,
    /** A followed Rollout paused on an inconclusive analysis: a person decides, with promote or abort. */
    inconclusive: 7,
    /** A policy pack refused the update (a mandatory violation); the message names each one. */
    policy: 8,
    /** The promotion gate refused an image the source environment (dev) has never run Healthy; nothing was changed. */
    promotion: 9,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad command line: the message names the argument, the usage says what was expected. */
export class UsageError extends Error {
    constructor(message: string, readonly usage: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** A failure the bot diagnosed itself, with the exit code it maps to and what to do next. */
export class BotError extends Error {
    /** Fields the `--json` failure document carries beside `error` and `exitCode`. */
    readonly details?: Readonly<Record<string, unknown>>;

    constructor(message: string, readonly exitCode: ExitCode, details?: Readonly<Record<string, unknown>>) {
        super(message);
        this.name = "BotError";
        if (details !== undefined) {
            this.details = details;
        }
    }
}

/**
 * A Rollout that ended Degraded (aborted included), did not settle before the timeout (both exit 6),
 * or paused on an inconclusive analysis (exit 7).
 */
export class RolloutOutcomeError extends BotError {
    constructor(message: string, readonly outcome: "degraded" | "timeout" | "inconclusive") {
        super(message, outcome === "inconclusive" ? EXIT.inconclusive : EXIT.rollout);
        this.name = "RolloutOutcomeError";
    }
}

/**
 * A preview, update or destroy the engine failed, with the error diagnostics it emitted on the way:
 * the failure is classified from these rather than from the CLI's text. `cause` is the Automation
 * API's CommandError, unchanged.
 */
export class EngineFailure extends Error {
    /** The engine's non-ephemeral diagnostics of severity `error`, in the order they came. */
    readonly diagnostics: readonly DiagnosticEvent[];

    /** The mandatory policy violations the engine reported: the update stopped at the first. */
    readonly violations: readonly PolicyEvent[];
    /** True when the engine had started a step that changes a resource before it failed. */
    readonly startedChanges: boolean;

    constructor(override readonly cause: CommandError, events: readonly EngineEvent[]) {
        super(cause.message, { cause });
        this.name = "EngineFailure";
        this.diagnostics = events.flatMap((event) => {
            const diagnostic = event.diagnosticEvent;
            return diagnostic !== undefined && diagnostic.severity === "error" && diagnostic.ephemeral !== true ? [diagnostic] : [];
        });
        this.violations = events.flatMap((event) => (event.policyEvent?.enforcementLevel === "mandatory" ? [event.policyEvent] : []));
        this.startedChanges = events.some((event) => {
            const op = event.resourcePreEvent?.metadata.op;
            return op !== undefined && !UNCHANGING_OPS.has(op);
        });
    }
}

/** Steps that change nothing in the cluster or the state's resources. */
const UNCHANGING_OPS = new Set<string>(["same", "read", "refresh"]);

/**
 * The error an engine operation throws: a CommandError becomes an {@link EngineFailure} with the
 * operation's events. Lock, missing-stack and existing-stack errors keep their own types, which
 * already classify them, and anything else passes through as it is.
 */
export function engineFailure(error: unknown, events: readonly EngineEvent[]): unknown {
    const typed = error instanceof ConcurrentUpdateError || error instanceof StackNotFoundError || error instanceof StackAlreadyExistsError;
    return error instanceof CommandError && !typed ? new EngineFailure(error, events) : error;
}

/** What the user sees for a failure, and the exit code. */
export interface FailureReport {
    readonly exitCode: ExitCode;
    readonly message: string;
    /** What the `--json` failure document adds for machines (e.g. each failing service). */
    readonly details?: Readonly<Record<string, unknown>>;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** The stdout and stderr the CLI printed, out of a CommandError's message. */
export function commandOutput(error: CommandError): { readonly stdout: string; readonly stderr: string } {
    const text = error.message.replace(ANSI, "");
    const match = /^code: [^\n]*\n stdout: ([\s\S]*?)\n stderr: ([\s\S]*?)\n err\?: /.exec(text);
    return match === null ? { stdout: "", stderr: text } : { stdout: match[1] ?? "", stderr: match[2] ?? "" };
}

/**
 * The program's config error block (`Invalid configuration (N problems); nothing was changed:` and
 * one `- key: message (given: ...)` line per problem) out of the engine's output, without the
 * CLI's indentation and diagnostics framing; undefined when the output has none.
 */
export function extractConfigError(output: string): string | undefined {
    return extractProgramError(output, "Invalid configuration (");
}

/** An error block of the program's (its first line starts with `header`, then `- ...` lines), out of the engine's output. */
function extractProgramError(output: string, header: string): string | undefined {
    const lines = output.replace(ANSI, "").split("\n");
    let best: string[] | undefined;
    lines.forEach((line, start) => {
        const at = line.indexOf(header);
        if (at < 0) {
            return;
        }
        const block = [line.slice(at).trim()];
        for (const next of lines.slice(start + 1)) {
            const trimmed = next.trim();
            if (!trimmed.startsWith("- ")) {
                break;
            }
            block.push(`  ${trimmed}`);
        }
        // The progress display repeats the error's first line only; the Diagnostics section has it whole.
        if (best === undefined || block.length > best.length) {
            best = block;
        }
    });
    return best?.join("\n");
}

/**
 * The CLI's output of a failed run, without the Automation API's "Command failed with exit code N:
 * pulumi ..." line (it runs the CLI through execa, which puts the CLI's stderr and stdout into
 * the error message after that line).
 */
function cliText(error: CommandError): string {
    const { stdout, stderr } = commandOutput(error);
    return `${stderr}\n${stdout}`.split("\n").filter((line) => !/^Command failed with exit code /.test(line)).join("\n");
}

/** The part of a failed CLI run worth reading: the error lines and the Diagnostics section, not the progress. */
function engineFailureText(error: CommandError): string {
    const text = cliText(error);
    const start = text.indexOf("Diagnostics:");
    if (start < 0) {
        return text.trim() || error.message.trim();
    }
    const section = text.slice(start);
    const end = section.search(/\n(Resources|Outputs|Duration|Policies):/);
    const errors = text.slice(0, start).split("\n").map((line) => line.trim()).filter((line) => line.startsWith("error: "));
    return [(end < 0 ? section : section.slice(0, end)).trimEnd(), ...new Set(errors)].join("\n");
}

/** The CLI's own description of who holds the lock (which lock, created by whom, when), when it printed one. */
function lockHolder(error: CommandError): string | undefined {
    const lines = cliText(error).split("\n").map((line) => line.trim().replace(/^error:\s*/, ""))
        .filter((line) => /locked by|created by|Another update is currently in progress/.test(line));
    return lines.length === 0 ? undefined : [...new Set(lines)].join("\n  ");
}

/** Maps any error to its exit code and the message for stderr. Nothing is dropped: unknown errors keep their text. */
export function reportFailure(error: unknown): FailureReport {
    if (error instanceof UsageError) {
        return { exitCode: EXIT.usage, message: `error: ${error.message}\n\n${error.usage}` };
    }
    if (error instanceof BotError) {
        return { exitCode: error.exitCode, message: `error: ${error.message}`, ...(error.details === undefined ? {} : { details: error.details }) };
    }
    if (error instanceof ConcurrentUpdateError) {
        const holder = lockHolder(error);
        return {
            exitCode: EXIT.concurrentUpdate,
            message: "error: another update is running on this stack, so nothing was changed. Run the command again when it " +
                "has finished, or pass --wait-lock [duration] to wait for the lock." + (holder === undefined ? "" : `\n  ${holder}`),
        };
    }
    if (error instanceof StackNotFoundError) {
        return { exitCode: EXIT.notFound, message: `error: ${errorLine(error, /no stack named/) ?? "the stack does not exist"}` };
    }
    if (error instanceof StackAlreadyExistsError) {
        return { exitCode: EXIT.failed, message: `error: ${errorLine(error, /already exists/) ?? "the stack already exists"}` };
    }
    if (error instanceof EngineFailure || error instanceof CommandError) {
        return reportEngineFailure(error instanceof EngineFailure ? error : new EngineFailure(error, []));
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { exitCode: EXIT.failed, message: `error: ${text}` };
}

/**
 * The program's config error block of a failed engine run: from the engine's error diagnostics
 * (the program's ConfigError arrives as one, its message the whole block), or, only when there are
 * none (the CLI failed before the engine said anything), from the CLI's text.
 */
export function configErrorOf(error: unknown): string | undefined {
    if (error instanceof EngineFailure && error.diagnostics.length > 0) {
        return configErrorIn(error.diagnostics);
    }
    const cause = error instanceof EngineFailure ? error.cause : error;
    return cause instanceof CommandError ? extractConfigError(cliText(cause)) : undefined;
}

function configErrorIn(diagnostics: readonly DiagnosticEvent[]): string | undefined {
    return diagnostics.map((diagnostic) => extractConfigError(diagnostic.message)).find((block) => block !== undefined);
}

/**
 * The promotion gate's refusal (lib/promotionGate.ts) of a failed engine run: its block of one line
 * per image, then what to do; from the diagnostics, or the CLI's text when there are none.
 */
export function promotionRefusalOf(error: unknown): string | undefined {
    const texts = error instanceof EngineFailure && error.diagnostics.length > 0
        ? error.diagnostics.map((diagnostic) => diagnostic.message)
        : [error instanceof EngineFailure ? cliText(error.cause) : error instanceof CommandError ? cliText(error) : ""];
    for (const text of texts) {
        const block = extractProgramError(text, PROMOTION_REFUSED_HEADER);
        if (block !== undefined) {
            const advice = text.replace(ANSI, "").split("\n").map((line) => line.trim()).find((line) => line.startsWith(PROMOTION_ADVICE_START));
            return advice === undefined ? block : `${block}\n${advice}`;
        }
    }
    return undefined;
}

/**
 * A `pulumi` killed while it wrote the stack's state to a file backend can leave the state's
 * `.attrs` sidecar empty (the CLI writes it before renaming the new state into place), and every
 * later command fails to load the stack. The state itself is whole; the empty sidecar must go.
 */
export const TRUNCATED_STATE_ADVICE = "the stack's state could not be read: a pulumi process was killed while it was writing it. " +
    "On a file backend, remove the empty <stack>.json.attrs beside the stack's state file " +
    "(<backend>/.pulumi/stacks/<project>/<stack>.json.attrs; the state itself is intact), then run " +
    "pulumi cancel, pulumi refresh --clear-pending-creates and pulumi up.";

/** Each mandatory violation by pack, policy and resource, and whether the update had changed anything before it stopped. */
function policyRefusal(failure: EngineFailure): string {
    const outcome = failure.startedChanges
        ? "the update had already changed some resources when it stopped; run pulumi preview to see what is left to do"
        : "nothing was changed";
    const lines = failure.violations.map(({ policyPackName, policyName, resourceUrn, message }) =>
        `  - ${policyPackName}/${policyName}${resourceUrn === undefined || resourceUrn === "" ? "" : ` on ${urnName(resourceUrn)}`}: ${message.trim()}`);
    return `a policy pack refused the update (${failure.violations.length} mandatory violation${failure.violations.length === 1 ? "" : "s"}); ${outcome}:\n${lines.join("\n")}`;
}

/** Diagnostics first; the CLI's text only when the engine emitted none. */
function reportEngineFailure(failure: EngineFailure): FailureReport {
    const { cause, diagnostics } = failure;
    if (diagnostics.length === 0 && /spawn \S*pulumi ENOENT/.test(cliText(cause))) {
        return {
            exitCode: EXIT.failed,
            message: "error: the Pulumi CLI was not found on PATH. Install it, or build the project's toolchain and source it:\n" +
                "  npm run toolchain && . ~/.cache/rollout-stacks/toolchain/env.sh",
        };
    }
    if (/failed to load checkpoint: (unexpected )?EOF/.test(cliText(cause))) {
        return { exitCode: EXIT.failed, message: `error: ${TRUNCATED_STATE_ADVICE}` };
    }
    const configError = configErrorOf(failure);
    if (configError !== undefined) {
        return { exitCode: EXIT.config, message: `error: the program refused the stack's config.\n${configError}` };
    }
    const refusal = promotionRefusalOf(failure);
    if (refusal !== undefined) {
        return { exitCode: EXIT.promotion, message: `error: ${refusal}` };
    }
    if (failure.violations.length > 0) {
        return { exitCode: EXIT.policy, message: `error: ${policyRefusal(failure)}` };
    }
    const details = diagnostics.length > 0 ? diagnosticsText(diagnostics) : engineFailureText(cause);
    return { exitCode: EXIT.failed, message: `error: the Pulumi engine failed:\n${details}` };
}

/** One line (or block) per error diagnostic, led by the resource it is about when it has one. */
function diagnosticsText(diagnostics: readonly DiagnosticEvent[]): string {
    const lines = diagnostics.map(({ urn, message }) => {
        const text = message.replace(ANSI, "").trim();
        return urn === undefined || urn === "" ? text : `${urnName(urn)}: ${text}`;
    });
    return [...new Set(lines)].join("\n");
}

/** The CLI's line that says what went wrong, without its `error:` prefix. */
function errorLine(error: CommandError, pattern: RegExp): string | undefined {
    const lines = cliText(error).split("\n").map((line) => line.replace(/^error:\s*/, "").trim()).filter((line) => line !== "");
    return lines.find((line) => pattern.test(line)) ?? lines[0];
}
