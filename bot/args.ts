import { parseArgs } from "node:util";
import { dnsLabel, dnsName, imageReference, imageTag } from "../config/primitives";
import { formatDuration, parseDuration } from "./duration";
import { DEFAULT_KEEP_LABEL } from "./reaper";
import { UsageError } from "./errors";

/** How long `--wait-lock` without a value waits for another update to finish. */
export const DEFAULT_WAIT_LOCK_MS = 10 * 60_000;
/** How long `--wait` follows a Rollout without `--timeout`: the prod canary's steps take about 10 minutes. */
export const DEFAULT_ROLLOUT_TIMEOUT_MS = 30 * 60_000;

/** Options of every command. */
interface Common {
    /** Print the result as one JSON document on stdout. */
    readonly json: boolean;
}

/** Options of commands that update a stack. */
interface Updating extends Common {
    /** Wait this long for another update's lock instead of failing; undefined = do not wait. */
    readonly waitLockMs?: number;
}

/** Options of commands that may follow Rollouts after the update. */
interface Following {
    /** Follow the Rollouts until they settle. */
    readonly wait: boolean;
    readonly timeoutMs: number;
}

/** The PR stack's desired config, as `pr up` and `pr preview` take it. */
export interface PrSpec {
    readonly pr: number;
    readonly imageTag: string;
    /** Subset of the catalogue; undefined keeps what the stack has (all services on a new stack). */
    readonly services?: readonly string[];
    /** Base domain; undefined keeps what the stack has (the project default on a new stack). */
    readonly domain?: string;
    /** Policy pack directories to run with the update or preview. */
    readonly policyPacks: readonly string[];
    /** Write the result into the pull request's sticky comment (needs GITHUB_TOKEN and GITHUB_REPOSITORY). */
    readonly comment: boolean;
}

export type Command =
    | { readonly kind: "help"; readonly text: string }
    | ({ readonly kind: "pr up" } & PrSpec & Updating)
    | ({ readonly kind: "pr preview" } & PrSpec & Updating)
    | ({ readonly kind: "pr down"; readonly pr: number } & Updating)
    | ({ readonly kind: "pr pause"; readonly pr: number } & Updating)
    | ({ readonly kind: "pr resume"; readonly pr: number } & Updating)
    | ({ readonly kind: "pr reap"; readonly idleMs: number; readonly destroyAfterMs?: number; readonly keepLabel: string; readonly yes: boolean } & Common)
    | ({ readonly kind: "restart"; readonly stack: string } & Updating)
    | ({ readonly kind: "release"; readonly stack: string; readonly images: Readonly<Record<string, string>> } & Updating & Following)
    | ({ readonly kind: "status"; readonly stack: string; readonly service?: string } & Common)
    | ({ readonly kind: "promote"; readonly stack: string; readonly service: string; readonly full: boolean } & Common)
    | ({ readonly kind: "abort"; readonly stack: string; readonly service: string } & Common)
    | ({ readonly kind: "retry"; readonly stack: string; readonly service: string } & Common)
    | ({ readonly kind: "undo"; readonly stack: string; readonly service: string } & Updating & Following);

type Kind = Exclude<Command["kind"], "help">;

interface OptionSpec {
    readonly type: "string" | "boolean";
    readonly multiple?: boolean;
    /** Placeholder in the usage line, for string options. */
    readonly value?: string;
    readonly help: string;
}

interface CommandSpec {
    readonly positionals: readonly string[];
    /** Trailing positionals that may be left out. */
    readonly optional?: number;
    readonly summary: string;
    readonly options: Readonly<Record<string, OptionSpec>>;
    readonly examples: readonly string[];
}

const JSON_OPTION: OptionSpec = { type: "boolean", help: "print the result as JSON on stdout (progress stays on stderr)" };
const WAIT_LOCK_OPTION: OptionSpec = {
    type: "string", value: "[duration]",
    help: `if another update holds the stack, wait for it (default ${formatDuration(DEFAULT_WAIT_LOCK_MS)}) instead of failing`,
};
const POLICY_PACK_OPTION: OptionSpec = { type: "string", multiple: true, value: "<dir>", help: "run this policy pack (repeatable), e.g. policy" };
const WAIT_OPTION: OptionSpec = { type: "boolean", help: "follow the Rollouts until Healthy, paused for a promote, or Degraded" };
const TIMEOUT_OPTION: OptionSpec = {
    type: "string", value: "<duration>", help: `give up following after this long (default ${formatDuration(DEFAULT_ROLLOUT_TIMEOUT_MS)})`,
};
const PR_OPTIONS: Readonly<Record<string, OptionSpec>> = {
    "image-tag": { type: "string", value: "<tag>", help: "tag of every service image: pr-<n>-<short sha> per commit, or a mutable pr-<n> that restarts on every run (required)" },
    services: { type: "string", value: "<a,b>", help: "deploy only these catalogue services (default: what the stack has, all on a new one)" },
    domain: { type: "string", value: "<domain>", help: "base DNS domain (default: what the stack has, the project default on a new one)" },
    "policy-pack": POLICY_PACK_OPTION,
    comment: { type: "boolean", help: "write the result into the PR's sticky comment (GITHUB_TOKEN, GITHUB_REPOSITORY; GITHUB_API_URL for Enterprise)" },
};

const SPECS: Readonly<Record<Kind, CommandSpec>> = {
    "pr up": {
        positionals: ["n"],
        summary: "Create or update the stack pr-<n> at an image tag and print its URL. Safe to repeat; also resumes a paused PR. A mutable tag (pr-<n>) restarts every service on each run.",
        options: { ...PR_OPTIONS, "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["pr up 123 --image-tag pr-123-1a2b3c4 --comment", "pr up 123 --image-tag pr-123 --services cart-service,order-service"],
    },
    "pr preview": {
        positionals: ["n"],
        summary: "Preview what `pr up` would change and print a Markdown summary for the PR comment. Changes nothing.",
        options: { ...PR_OPTIONS, "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["pr preview 123 --image-tag pr-123-1a2b3c4", "pr preview 123 --image-tag pr-123-1a2b3c4 --policy-pack policy --comment"],
    },
    "pr down": {
        positionals: ["n"],
        summary: "Destroy pr-<n>'s resources, then remove the stack. Succeeds when it is already gone; keeps the stack if the destroy fails.",
        options: { "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["pr down 123"],
    },
    "pr pause": {
        positionals: ["n"],
        summary: "Scale pr-<n> to zero (active=false), keeping its namespace, config and data.",
        options: { "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["pr pause 123"],
    },
    "pr resume": {
        positionals: ["n"],
        summary: "Scale pr-<n> back up (active=true).",
        options: { "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["pr resume 123"],
    },
    "pr reap": {
        positionals: [],
        summary: "Pause PR stacks idle longer than their pr.ttlHours (else --idle) and destroy those idle longer than --destroy-after. A dry run unless --yes.",
        options: {
            idle: { type: "string", value: "<duration>", help: "pause PR stacks without an update for this long unless their pr.ttlHours says otherwise, e.g. 1h (required)" },
            "destroy-after": { type: "string", value: "<duration>", help: "destroy and remove PR stacks without an update for this long, e.g. 7d; a longer pr.ttlHours postpones it as much" },
            "keep-label": {
                type: "string", value: "<label>",
                help: `never pause or destroy a PR with this label (default ${DEFAULT_KEEP_LABEL}; read with GITHUB_TOKEN and GITHUB_REPOSITORY; '' for none)`,
            },
            yes: { type: "boolean", help: "act; without it, only print what would be done" },
            json: JSON_OPTION,
        },
        examples: ["pr reap --idle 1h", "pr reap --idle 1h --destroy-after 7d --yes"],
    },
    restart: {
        positionals: ["stack"],
        summary: "Set deployedAt to now (RFC3339 UTC) and update: every workload rolls its pods once.",
        options: { "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["restart dev", "restart pr-123 --wait-lock 5m"],
    },
    release: {
        positionals: ["stack"],
        summary: "Set images.<service> and update; the service's Rollout walks its canary or blue/green steps.",
        options: {
            image: { type: "string", multiple: true, value: "<service>=<ref>", help: "the image to release, with a tag or digest (required, repeatable)" },
            wait: WAIT_OPTION,
            timeout: TIMEOUT_OPTION,
            "wait-lock": WAIT_LOCK_OPTION,
            json: JSON_OPTION,
        },
        examples: ["release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2.4.0 --wait"],
    },
    status: {
        positionals: ["stack", "service"],
        optional: 1,
        summary: "Show the live Rollouts of a stack (or one service): phase, step, weight, analysis runs, images.",
        options: { json: JSON_OPTION },
        examples: ["status prod", "status prod cart-service --json"],
    },
    promote: {
        positionals: ["stack", "service"],
        summary: "Promote a paused Rollout to its next step, or with --full skip all remaining steps and analysis.",
        options: { full: { type: "boolean", help: "skip the remaining steps, pauses and analysis" }, json: JSON_OPTION },
        examples: ["promote prod cart-service", "promote prod cart-service --full"],
    },
    abort: {
        positionals: ["stack", "service"],
        summary: "Abort a Rollout: traffic goes back to the stable ReplicaSet. Use undo to move the config back too.",
        options: { json: JSON_OPTION },
        examples: ["abort prod cart-service"],
    },
    retry: {
        positionals: ["stack", "service"],
        summary: "Retry an aborted Rollout from its first step.",
        options: { json: JSON_OPTION },
        examples: ["retry prod cart-service"],
    },
    undo: {
        positionals: ["stack", "service"],
        summary: "Set the service's image back to the one before it (from the stack's update history) and update.",
        options: { wait: WAIT_OPTION, timeout: TIMEOUT_OPTION, "wait-lock": WAIT_LOCK_OPTION, json: JSON_OPTION },
        examples: ["undo prod cart-service --wait"],
    },
};

const PROGRAM = "rollout-bot";

/** The usage text of one command. */
export function commandUsage(kind: Kind): string {
    const spec = SPECS[kind];
    const required = spec.positionals.length - (spec.optional ?? 0);
    const positionals = spec.positionals.map((name, index) => (index < required ? `<${name}>` : `[${name}]`));
    const options = Object.entries(spec.options).map(([name, option]) => {
        const flag = option.type === "string" ? `--${name} ${option.value ?? "<value>"}` : `--${name}`;
        return `  ${flag.padEnd(26)} ${option.help}`;
    });
    return [
        `usage: ${PROGRAM} ${[kind, ...positionals].join(" ")} [options]`,
        "",
        spec.summary,
        "",
        "options:",
        ...options,
        `  ${"--help".padEnd(26)} show this help`,
        "",
        "examples:",
        ...spec.examples.map((example) => `  ${PROGRAM} ${example}`),
    ].join("\n");
}

/** The overview: every command with its one-line summary. */
export function overallUsage(): string {
    const lines = (Object.keys(SPECS) as Kind[]).map((kind) => `  ${kind.padEnd(12)} ${SPECS[kind].summary.split(". ")[0]!.replace(/\.$/, "")}`);
    return [
        `usage: ${PROGRAM} <command> [arguments] [options]`,
        "",
        "commands:",
        ...lines,
        "",
        `Run '${PROGRAM} <command> --help' for a command's arguments and options; docs/release-bot.md has the rest.`,
    ].join("\n");
}

function prGroupUsage(): string {
    const kinds = (Object.keys(SPECS) as Kind[]).filter((kind) => kind.startsWith("pr "));
    return [`usage: ${PROGRAM} pr <${kinds.map((kind) => kind.slice(3)).join("|")}> ...`, "", ...kinds.map((kind) => `  ${kind.padEnd(12)} ${SPECS[kind].summary}`)].join("\n");
}

/**
 * `--wait-lock` takes an optional duration, which util.parseArgs cannot express: a bare
 * `--wait-lock` (last, or followed by something that is not a duration) becomes the default.
 */
function normalizeWaitLock(argv: readonly string[]): string[] {
    const result: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        if (arg !== "--wait-lock") {
            result.push(arg);
            continue;
        }
        const next = argv[i + 1];
        if (next !== undefined && parseDuration(next) !== undefined) {
            result.push(`--wait-lock=${next}`);
            i++;
        } else {
            result.push(`--wait-lock=${DEFAULT_WAIT_LOCK_MS}ms`);
        }
    }
    return result;
}

/** Splits the command words off the front: `pr up 12 ...` is the command `pr up`. */
function commandKind(argv: readonly string[]): { kind?: Kind; rest: string[]; help?: string } {
    const [first, second] = argv;
    if (first === undefined) {
        throw new UsageError("no command given", overallUsage());
    }
    if (first === "--help" || first === "-h" || first === "help") {
        return { rest: [], help: overallUsage() };
    }
    if (first === "pr") {
        if (second === undefined || second === "--help" || second === "-h") {
            if (second === undefined) {
                throw new UsageError("pr needs a subcommand", prGroupUsage());
            }
            return { rest: [], help: prGroupUsage() };
        }
        const kind = `pr ${second}`;
        if (!(kind in SPECS)) {
            throw new UsageError(`unknown command 'pr ${second}'`, prGroupUsage());
        }
        return { kind: kind as Kind, rest: argv.slice(2) };
    }
    if (!(first in SPECS) || first.startsWith("pr ")) {
        throw new UsageError(`unknown command '${first}'`, overallUsage());
    }
    return { kind: first as Kind, rest: argv.slice(1) };
}

/** Parses the bot's command line (without `node` and the script). Throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
    const { kind, rest, help } = commandKind(argv);
    if (kind === undefined) {
        return { kind: "help", text: help ?? overallUsage() };
    }
    const spec = SPECS[kind];
    const usage = commandUsage(kind);
    if (rest.includes("--help") || rest.includes("-h")) {
        return { kind: "help", text: usage };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({
            args: normalizeWaitLock(rest),
            options: Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, { type: option.type, multiple: option.multiple ?? false }])),
            allowPositionals: true,
            strict: true,
        });
    } catch (error) {
        throw new UsageError(`${kind}: ${(error as Error).message.replace(/\. To specify a positional argument.*$/s, "")}`, usage);
    }
    const required = spec.positionals.length - (spec.optional ?? 0);
    if (parsed.positionals.length < required) {
        throw new UsageError(`${kind}: missing <${spec.positionals[parsed.positionals.length]}>`, usage);
    }
    if (parsed.positionals.length > spec.positionals.length) {
        throw new UsageError(`${kind}: unexpected argument '${parsed.positionals[spec.positionals.length]}'`, usage);
    }
    return build(kind, new Arguments(kind, usage, parsed.positionals, parsed.values));
}

/** Typed, validated access to one command's parsed arguments; every error names the argument. */
class Arguments {
    constructor(
        private readonly kind: Kind,
        private readonly usage: string,
        private readonly positionals: readonly string[],
        private readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>,
    ) {}

    fail(message: string): never {
        throw new UsageError(`${this.kind}: ${message}`, this.usage);
    }

    positional(index: number): string | undefined {
        return this.positionals[index];
    }

    flag(name: string): boolean {
        return this.values[name] === true;
    }

    string(name: string): string | undefined {
        const value = this.values[name];
        return typeof value === "string" ? value : undefined;
    }

    requiredString(name: string): string {
        return this.string(name) ?? this.fail(`missing --${name}`);
    }

    strings(name: string): string[] {
        const value = this.values[name];
        return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
    }

    prNumber(): number {
        const text = this.positional(0) ?? "";
        const value = Number(text);
        if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(value)) {
            this.fail(`<n> must be a pull request number (a positive whole number), got '${text}'`);
        }
        return value;
    }

    stack(): string {
        const text = this.positional(0) ?? "";
        if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(text)) {
            this.fail(`<stack> must be a stack name such as dev, prod or pr-123, got '${text}'`);
        }
        return text;
    }

    service(index: number): string {
        const text = this.positional(index) ?? "";
        const result = dnsLabel.safeParse(text);
        if (!result.success) {
            this.fail(`<service> must be a service name such as cart-service, got '${text}'`);
        }
        return text;
    }

    duration(name: string): number | undefined {
        const text = this.string(name);
        if (text === undefined) {
            return undefined;
        }
        return parseDuration(text) ?? this.fail(`--${name} must be a duration such as 90s, 15m, 2h or 7d, got '${text}'`);
    }

    imageTag(): string {
        const text = this.requiredString("image-tag");
        const result = imageTag.safeParse(text);
        return result.success ? text : this.fail(`--image-tag '${text}': ${result.error.issues[0]?.message}`);
    }

    services(): string[] | undefined {
        const text = this.string("services");
        if (text === undefined) {
            return undefined;
        }
        const names = text.split(",").map((name) => name.trim());
        const bad = names.find((name) => !dnsLabel.safeParse(name).success);
        if (bad !== undefined) {
            this.fail(`--services must be a comma-separated list of service names, got '${bad}' in '${text}'`);
        }
        if (new Set(names).size !== names.length) {
            this.fail(`--services names a service twice: '${text}'`);
        }
        return names;
    }

    domain(): string | undefined {
        const text = this.string("domain");
        if (text === undefined) {
            return undefined;
        }
        const result = dnsName.safeParse(text);
        return result.success ? text : this.fail(`--domain '${text}': ${result.error.issues[0]?.message}`);
    }

    images(): Record<string, string> {
        const pairs = this.strings("image");
        if (pairs.length === 0) {
            this.fail("missing --image <service>=<ref>");
        }
        const images: Record<string, string> = {};
        for (const pair of pairs) {
            const eq = pair.indexOf("=");
            const service = eq < 0 ? "" : pair.slice(0, eq);
            const ref = eq < 0 ? "" : pair.slice(eq + 1);
            if (!dnsLabel.safeParse(service).success || ref === "") {
                this.fail(`--image must be <service>=<image reference>, got '${pair}'`);
            }
            const result = imageReference.safeParse(ref);
            if (!result.success) {
                this.fail(`--image ${service}: ${result.error.issues[0]?.message} (got '${ref}')`);
            }
            if (images[service] !== undefined) {
                this.fail(`--image names ${service} twice`);
            }
            images[service] = ref;
        }
        return images;
    }

    common(): Common {
        return { json: this.flag("json") };
    }

    updating(): Updating {
        const waitLockMs = this.duration("wait-lock");
        return waitLockMs === undefined ? this.common() : { ...this.common(), waitLockMs };
    }

    following(): Following {
        return { wait: this.flag("wait"), timeoutMs: this.duration("timeout") ?? DEFAULT_ROLLOUT_TIMEOUT_MS };
    }

    prSpec(): PrSpec {
        const services = this.services();
        const domain = this.domain();
        return {
            pr: this.prNumber(),
            imageTag: this.imageTag(),
            ...(services === undefined ? {} : { services }),
            ...(domain === undefined ? {} : { domain }),
            policyPacks: this.strings("policy-pack"),
            comment: this.flag("comment"),
        };
    }
}

function build(kind: Kind, args: Arguments): Command {
    switch (kind) {
        case "pr up":
        case "pr preview":
            return { kind, ...args.prSpec(), ...args.updating() };
        case "pr down":
        case "pr pause":
        case "pr resume":
            return { kind, pr: args.prNumber(), ...args.updating() };
        case "pr reap": {
            const idleMs = args.duration("idle") ?? args.fail("missing --idle <duration>");
            const destroyAfterMs = args.duration("destroy-after");
            if (destroyAfterMs !== undefined && destroyAfterMs <= idleMs) {
                args.fail(`--destroy-after (${formatDuration(destroyAfterMs)}) must be longer than --idle (${formatDuration(idleMs)}): stacks are paused before they are destroyed`);
            }
            const keepLabel = args.string("keep-label") ?? DEFAULT_KEEP_LABEL;
            if (keepLabel !== "" && (keepLabel.length > 50 || keepLabel.trim() !== keepLabel)) {
                args.fail(`--keep-label must be a GitHub label name (1 to 50 characters, no surrounding spaces) or '' for none, got '${keepLabel}'`);
            }
            return { kind, idleMs, ...(destroyAfterMs === undefined ? {} : { destroyAfterMs }), keepLabel, yes: args.flag("yes"), ...args.common() };
        }
        case "restart":
            return { kind, stack: args.stack(), ...args.updating() };
        case "release":
            return { kind, stack: args.stack(), images: args.images(), ...args.following(), ...args.updating() };
        case "status": {
            const service = args.positional(1) === undefined ? undefined : args.service(1);
            return { kind, stack: args.stack(), ...(service === undefined ? {} : { service }), ...args.common() };
        }
        case "promote":
            return { kind, stack: args.stack(), service: args.service(1), full: args.flag("full"), ...args.common() };
        case "abort":
        case "retry":
            return { kind, stack: args.stack(), service: args.service(1), ...args.common() };
        case "undo":
            return { kind, stack: args.stack(), service: args.service(1), ...args.following(), ...args.updating() };
    }
}
