import type { EngineEvent } from "@pulumi/pulumi/automation";

/** Where a line of text goes; process.stdout and process.stderr in the CLI, arrays in tests. */
export interface TextSink {
    write(text: string): unknown;
}

/**
 * The bot's two channels: progress for humans on stderr, the command's answer on stdout. With
 * `--json` the answer is one JSON document, so `rollout-bot ... --json | jq` always parses.
 */
export class Output {
    /** The first line of the last answer, for `--notify`. */
    summary?: string;

    constructor(private readonly stdout: TextSink, private readonly stderr: TextSink, readonly json: boolean) {}

    /** One line of progress. */
    progress(line: string): void {
        this.stderr.write(`${line}\n`);
    }

    /** The command's answer: `human` as text, or `data` as JSON with `--json`. */
    result(human: string, data: object): void {
        this.summary = human.split("\n")[0];
        this.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human.replace(/\n*$/, "")}\n`);
    }

    /** A failure message (always text, always stderr). */
    error(message: string): void {
        this.stderr.write(`${message.replace(/\n*$/, "")}\n`);
    }
}

const OP_SYMBOLS: Readonly<Record<string, string>> = {
    create: "+", update: "~", replace: "+-", "create-replacement": "++", "delete-replaced": "--", delete: "-",
    read: ">", import: "=", refresh: "~", "discard": "-",
};

/** The resource's own name: the last part of its URN. */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * One progress line for an engine event as it streams in, or undefined for events a human does
 * not need (unchanged resources, outputs of steps already announced, debug chatter).
 */
export function describeEngineEvent(event: EngineEvent): string | undefined {
    if (event.resourcePreEvent !== undefined) {
        const { op, type, urn } = event.resourcePreEvent.metadata;
        return op === "same" ? undefined : `  ${OP_SYMBOLS[op] ?? "*"} ${op} ${type} ${urnName(urn)}`;
    }
    if (event.resOpFailedEvent !== undefined) {
        const { op, type, urn } = event.resOpFailedEvent.metadata;
        return `  ! ${op} failed: ${type} ${urnName(urn)}`;
    }
    if (event.diagnosticEvent !== undefined) {
        const { severity, message, urn, ephemeral } = event.diagnosticEvent;
        if (ephemeral || (severity !== "error" && severity !== "warning")) {
            return undefined;
        }
        const where = urn === undefined || urn === "" ? "" : ` (${urnName(urn)})`;
        return `  ${severity}${where}: ${message.trim()}`;
    }
    if (event.policyEvent !== undefined) {
        const { enforcementLevel, policyName, message, resourceUrn } = event.policyEvent;
        const where = resourceUrn === undefined || resourceUrn === "" ? "" : ` (${urnName(resourceUrn)})`;
        return `  policy ${enforcementLevel} ${policyName}${where}: ${message.trim()}`;
    }
    if (event.summaryEvent !== undefined) {
        const counts = Object.entries(event.summaryEvent.resourceChanges)
            .filter(([, count]) => (count ?? 0) > 0)
            .map(([op, count]) => `${count} ${op}`);
        return `  done in ${event.summaryEvent.durationSeconds}s: ${counts.join(", ") || "no resources"}`;
    }
    return undefined;
}
