import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { backendEndpoint, BackendEndpoint, BackendKind } from "../lib/backends";
import { prNumberOfStack, prStackName } from "../lib/naming";
import { CONFIG_NAMESPACE, ConfigError, ConfigProblem, fullKey, problemsFromIssues } from "./errors";
import { ParsedStackConfig, stackConfigSchema } from "./schema";
import { GivenConfig, WrittenNumber } from "./secrets";

/** Config as the CLI hands it to the program, by key without namespace. */
export interface ConfigSource {
    /** The raw text of a key (structured values as JSON text), or undefined when it is not set. */
    get(key: string): string | undefined;
    /** True when the CLI holds the key as a secret (`--secret`, also with `--path` below it). */
    isSecret(key: string): boolean;
    /**
     * The stack's name, which says whether it is a PR stack: the release bot's reaper treats every
     * stack named `pr-<n>` as PR n's, and no other. Unknown (undefined or empty): not checked.
     */
    readonly stackName?: string;
}

/** Keys whose values are structured (the CLI passes them to the program as JSON text). */
const STRUCTURED_KEYS = ["services", "images", "pr", "environment", "platform", "backends", "backendNetworks", "appMetrics"] as const;
const STRING_KEYS = ["domain", "imageTag", "deployedAt"] as const;

/** A backing service: where it is (plain) and how to reach it (a secret: URLs may carry credentials). */
export type Backend = BackendEndpoint & { readonly url: pulumi.Output<string> };

/** The validated config of a stack. */
export type StackConfig = Readonly<Omit<ParsedStackConfig, "backends"> & {
    readonly backends: Readonly<Partial<Record<BackendKind, Backend>>>;
}>;

/** The program's only reader of Pulumi config. */
export function pulumiConfigSource(): ConfigSource {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const isConfigSecret = sdkIsConfigSecret();
    return { get: (key) => config.get(key), isSecret: (key) => isConfigSecret(`${CONFIG_NAMESPACE}:${key}`), stackName: pulumi.getStack() };
}

/**
 * The SDK's record of the keys the CLI passed as secrets (PULUMI_CONFIG_SECRET_KEYS, or what the
 * Automation API set), read where `pulumi.Config` reads the values. The SDK keeps it internal, so
 * reach it by name and fail loudly if an upgrade moves it: error messages mask those keys' values.
 */
function sdkIsConfigSecret(): (fullKey: string) => boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (fullKey: string) => boolean };
    if (typeof runtime.isConfigSecret !== "function") {
        throw new Error("@pulumi/pulumi no longer exposes runtime.isConfigSecret; update config/load.ts");
    }
    return runtime.isConfigSecret;
}

/**
 * Reads and validates every key of the contract at once. Throws a {@link ConfigError} listing every
 * problem, each with its full key, before anything is registered; returns a frozen config.
 */
export function loadConfig(source: ConfigSource = pulumiConfigSource()): StackConfig {
    const problems: ConfigProblem[] = [];
    // What was given: structured keys parsed, or their text where it does not parse.
    const values: Record<string, unknown> = {};
    const parsedTexts: [string, string][] = [];
    const unreadable = new Set<string>();
    for (const key of STRUCTURED_KEYS) {
        const text = source.get(key);
        if (text === undefined) {
            continue;
        }
        try {
            values[key] = JSON.parse(text);
            parsedTexts.push([key, text]);
        } catch {
            values[key] = text;
            unreadable.add(key);
        }
    }
    for (const key of STRING_KEYS) {
        const text = source.get(key);
        if (text !== undefined) {
            values[key] = text;
        }
    }
    const active = source.get("active");
    if (active !== undefined) {
        values.active = active === "true" ? true : active === "false" ? false : active;
    }
    // The config as messages quote it, built only when there is a problem to report: finding its
    // secrets walks the whole config. Numbers are shown as they were written (1e400 is Infinity
    // once parsed, which JSON shows as null).
    let givenConfig: GivenConfig | undefined;
    const given = () => (givenConfig ??= new GivenConfig(
        stackConfigSchema,
        { ...values, ...Object.fromEntries(parsedTexts.map(([key, text]) => [key, withNumbersAsWritten(text)])) },
        new Set(Object.keys(values).filter((key) => source.isSecret(key))),
    ));
    for (const key of unreadable) {
        problems.push({ key: fullKey([key]), message: "expected structured config (set it with --path, or as JSON)", given: given().quote([key]) });
    }
    /** Adds problems at keys no earlier problem names: an unreadable key's text is the one problem to report there. */
    const report = (more: readonly ConfigProblem[]) => {
        const reported = new Set(problems.map((problem) => problem.key));
        problems.push(...more.filter((problem) => !reported.has(problem.key)));
    };

    // The schema sees an unreadable key as missing.
    const raw = Object.fromEntries(Object.entries(values).filter(([key]) => !unreadable.has(key)));
    const parsed = stackConfigSchema.safeParse(raw);
    if (!parsed.success) {
        report(problemsFromIssues(parsed.error.issues, given()));
    }
    report(stackNameProblems(source.stackName, raw, given));
    if (problems.length > 0 || !parsed.success) {
        throw new ConfigError(problems, given());
    }
    return deepFreeze({
        ...parsed.data,
        backends: secretBackends(parsed.data.backends, parsed.data.backendNetworks),
        platform: secretPlatform(parsed.data.platform),
    });
}

/**
 * A stack's name and its config must agree on whether it is a PR stack: the release bot's reaper
 * pauses and destroys every stack named `pr-<n>` once PR n is closed or idle, and finds no other.
 * An environment in a stack named `pr-12` would be destroyed with PR 12; a PR in a stack named
 * `prod` would never be cleaned up; a stack `pr-12` deploying PR 13 would overwrite that PR's.
 */
function stackNameProblems(stackName: string | undefined, values: Readonly<Record<string, unknown>>, given: () => GivenConfig): ConfigProblem[] {
    if (stackName === undefined || stackName === "") {
        return [];
    }
    const stackPr = prNumberOfStack(stackName);
    const pr = values.pr;
    const givenNumber = pr !== null && typeof pr === "object" ? (pr as { number?: unknown }).number : undefined;
    const number = typeof givenNumber === "number" && Number.isSafeInteger(givenNumber) && givenNumber > 0 ? givenNumber : undefined;
    if (stackPr === undefined) {
        const stack = number === undefined ? "pr-<number>" : prStackName(number);
        return pr === undefined ? [] : [{
            key: fullKey(["pr"]),
            message: `the stack ${stackName} is not named pr-<n> (the PR number, without leading zeros), so the release bot would neither find it ` +
                `nor clean it up as a PR stack; deploy this PR in the stack ${stack} (pulumi stack init ${stack}), or set environment instead of pr for a long-lived stack`,
            given: given().quote(["pr"]),
        }];
    }
    if (pr === undefined) {
        return (["environment", "platform"] as const).filter((key) => values[key] !== undefined).map((key) => ({
            key: fullKey([key]),
            message: `the stack ${stackName} is named as PR ${stackPr}'s, and the release bot's reaper pauses and destroys every pr-<n> stack ` +
                `once its PR is closed or idle; set ${key} in a stack of another name (such as dev or prod), or make this PR ${stackPr}'s stack with pr.number ${stackPr}`,
            given: given().quote([key]),
        }));
    }
    return number === undefined || number === stackPr ? [] : [{
        key: fullKey(["pr", "number"]),
        message: `the stack ${stackName} is for PR ${stackPr}; set pr.number to ${stackPr} or use the stack ${prStackName(number)}`,
        given: given().quote(["pr", "number"]),
    }];
}

/**
 * `text` (valid JSON) parsed with every number that JavaScript would not print back as written
 * (`1e400`, `1.0`, `12345678901234567890`) kept as its text, so a message shows what was given.
 */
function withNumbersAsWritten(text: string): unknown {
    const tag = `${randomUUID()}:`;
    // On valid JSON, a match starting at a quote is a whole string, so digits inside strings are skipped.
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
        (token) => (token.startsWith("\"") || String(Number(token)) === token ? token : JSON.stringify(`${tag}${token}`)));
    return JSON.parse(marked, (_key, value: unknown) =>
        (typeof value === "string" && value.startsWith(tag) ? new WrittenNumber(value.slice(tag.length)) : value));
}

/** The Grafana admin password arrives as plain config text; from here on it is a secret, in state and in outputs. */
function secretPlatform(platform: ParsedStackConfig["platform"]): ParsedStackConfig["platform"] {
    const monitoring = platform?.monitoring;
    if (platform === undefined || !monitoring?.enabled || monitoring.installVia !== "helm") {
        return platform;
    }
    return { ...platform, monitoring: { ...monitoring, grafanaAdminPassword: pulumi.secret(monitoring.grafanaAdminPassword) } };
}

function secretBackends(urls: ParsedStackConfig["backends"], networks: ParsedStackConfig["backendNetworks"]): StackConfig["backends"] {
    const backends: Partial<Record<BackendKind, Backend>> = {};
    for (const [kind, url] of Object.entries(urls) as [BackendKind, string | undefined][]) {
        if (url === undefined) {
            continue;
        }
        const endpoint = backendEndpoint(kind, url, networks[kind]);
        // The schema refused every backend whose egress resolves to nothing.
        if (endpoint === undefined) {
            throw new Error(`backends.${kind}: no egress resolved after validation`);
        }
        backends[kind] = { ...endpoint, url: pulumi.secret(url) };
    }
    return backends;
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !pulumi.Output.isInstance(value) && !Object.isFrozen(value)) {
        Object.freeze(value);
        Object.values(value).forEach(deepFreeze);
    }
    return value;
}
