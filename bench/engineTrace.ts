/**
 * Where one Pulumi command's time goes, read from the engine's own OpenTelemetry trace: the CLI run
 * with `--otel-traces file://<path>` writes OTLP JSON (one export per line) with the spans of the
 * CLI, the language host, the Node.js SDK and the provider plugins, all on the same clock. The
 * phases are consecutive stretches of the CLI's root span, cut at spans every run has.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface Span {
    readonly service: string;
    readonly name: string;
    /** Milliseconds since the trace's first span started. */
    readonly start: number;
    readonly end: number;
}

interface OtlpExport {
    readonly resourceSpans: readonly {
        readonly resource: { readonly attributes: readonly { readonly key: string; readonly value: { readonly stringValue?: string } }[] };
        readonly scopeSpans: readonly { readonly spans: readonly { readonly name: string; readonly startTimeUnixNano: string; readonly endTimeUnixNano: string }[] }[];
    }[];
}

/** Every span of an OTLP JSON trace file, with times relative to its earliest span. */
export function readTrace(file: string): Span[] {
    const raw: { service: string; name: string; start: bigint; end: bigint }[] = [];
    for (const line of readFileSync(file, "utf8").split("\n").filter((text) => text.trim() !== "")) {
        for (const resourceSpans of (JSON.parse(line) as OtlpExport).resourceSpans) {
            const service = resourceSpans.resource.attributes.find((attribute) => attribute.key === "service.name")?.value.stringValue ?? "";
            for (const { spans } of resourceSpans.scopeSpans) {
                raw.push(...spans.map((span) => ({ service, name: span.name, start: BigInt(span.startTimeUnixNano), end: BigInt(span.endTimeUnixNano) })));
            }
        }
    }
    if (raw.length === 0) {
        throw new Error(`${file} holds no spans`);
    }
    const origin = raw.reduce((earliest, span) => (span.start < earliest ? span.start : earliest), raw[0]!.start);
    const ms = (time: bigint) => Number(time - origin) / 1e6;
    return raw.map((span) => ({ service: span.service, name: span.name, start: ms(span.start), end: ms(span.end) }))
        .sort((a, b) => a.start - b.start);
}

/** One consecutive stretch of a command, in milliseconds. */
export interface Phase {
    readonly phase: string;
    readonly ms: number;
}

/** The phases of a `pulumi preview` or `pulumi up`, in order; they add up to the CLI's root span. */
export const PHASES = [
    "CLI start, backend and state read",
    "language host start",
    "Node.js and the SDK start",
    "program: modules and evaluation, to its last resource",
    "steps: provider start, diff, apply, awaits, outputs",
    "state written, summary, exit",
] as const;

function only(spans: readonly Span[], what: string, test: (span: Span) => boolean): Span[] {
    const found = spans.filter(test);
    if (found.length === 0) {
        throw new Error(`the trace has no ${what} span: this breakdown reads pulumi 3.259's spans (bench/engineTrace.ts)`);
    }
    return found;
}

/**
 * Cuts a trace at: the CLI's plan starting (`pulumi-plan`), the language host starting Node.js
 * (`execNodejs`), the program's first resource registration (its root stack) and its last one (as
 * the language host received them), the plan ending, and the CLI's root span ending. The steps of
 * the resources registered before the last one run beside the evaluation; what is left after it is
 * the engine's and the provider's.
 */
export function phases(spans: readonly Span[]): Phase[] {
    const root = only(spans, "CLI root (pulumi)", (span) => span.service === "pulumi-cli" && span.name === "pulumi")[0]!;
    const plan = only(spans, "pulumi-plan", (span) => span.name === "pulumi-plan")[0]!;
    const node = only(spans, "execNodejs", (span) => span.name === "execNodejs")[0]!;
    const registrations = only(spans, "RegisterResource (language host)",
        (span) => span.service === "pulumi-language-host" && span.name === "/pulumirpc.ResourceMonitor/RegisterResource");
    const cuts = [root.start, plan.start, node.start, registrations[0]!.start, registrations[registrations.length - 1]!.start, plan.end, root.end];
    return PHASES.map((phase, i) => ({ phase, ms: cuts[i + 1]! - cuts[i]! }));
}

/** Runs `pulumi <args> --otel-traces` in `cwd` with `env` and returns its spans. */
export function traced(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Span[] {
    const dir = mkdtempSync(path.join(tmpdir(), "rollout-stacks-trace-"));
    try {
        const file = path.join(dir, "trace.json");
        execFileSync("pulumi", [...args, "--non-interactive", "--otel-traces", `file://${file}`], { cwd, env, stdio: "ignore" });
        return readTrace(file);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
