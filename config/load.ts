import * as pulumi from "@pulumi/pulumi";
import { BACKEND_KINDS, backendEndpoint, BackendEndpoint, BackendKind } from "../lib/backends";
import { CONFIG_NAMESPACE, ConfigError, ConfigProblem, fullKey, problemsFromIssues } from "./errors";
import { ParsedStackConfig, stackConfigSchema } from "./schema";

/** Reads one raw config value by its key without namespace, as the CLI hands it to the program. */
export type ConfigSource = (key: string) => string | undefined;

/** Keys whose values are structured (the CLI passes them to the program as JSON text). */
const STRUCTURED_KEYS = ["services", "images", "pr", "environment", "platform", "backends", "appMetrics"] as const;
const STRING_KEYS = ["domain", "imageTag", "deployedAt"] as const;

/** A backing service: where it is (plain) and how to reach it (a secret: URLs may carry credentials). */
export interface Backend extends BackendEndpoint {
    readonly url: pulumi.Output<string>;
}

/** The validated config of a stack. */
export type StackConfig = Readonly<Omit<ParsedStackConfig, "backends"> & {
    readonly backends: Readonly<Partial<Record<BackendKind, Backend>>>;
}>;

/** The program's only reader of Pulumi config. */
export function pulumiConfigSource(): ConfigSource {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    return (key) => config.get(key);
}

/**
 * Reads and validates every key of the contract at once. Throws a {@link ConfigError} listing every
 * problem, each with its full key, before anything is registered; returns a frozen config.
 */
export function loadConfig(source: ConfigSource = pulumiConfigSource()): StackConfig {
    const problems: ConfigProblem[] = [];
    const raw: Record<string, unknown> = {};
    for (const key of STRUCTURED_KEYS) {
        const text = source(key);
        if (text === undefined) {
            continue;
        }
        try {
            raw[key] = JSON.parse(text);
        } catch {
            problems.push({ key: fullKey([key]), message: "expected structured config (set it with --path, or as JSON)", given: JSON.stringify(text) });
        }
    }
    for (const key of STRING_KEYS) {
        const text = source(key);
        if (text !== undefined) {
            raw[key] = text;
        }
    }
    const active = source("active");
    if (active !== undefined) {
        raw.active = active === "true" ? true : active === "false" ? false : active;
    }

    const parsed = stackConfigSchema.safeParse(raw);
    if (!parsed.success) {
        // The schema saw an unreadable key as missing; its unreadable text is the one problem to report there.
        const unreadable = new Set(problems.map((problem) => problem.key));
        problems.push(...problemsFromIssues(withoutSecrets(raw), parsed.error.issues).filter((problem) => !unreadable.has(problem.key)));
    }
    if (problems.length > 0 || !parsed.success) {
        throw new ConfigError(problems);
    }
    return deepFreeze({
        ...parsed.data,
        backends: secretBackends(parsed.data.backends),
        platform: secretPlatform(parsed.data.platform),
    });
}

/** The Grafana admin password arrives as plain config text; from here on it is a secret, in state and in outputs. */
function secretPlatform(platform: ParsedStackConfig["platform"]): ParsedStackConfig["platform"] {
    const monitoring = platform?.monitoring;
    if (platform === undefined || !monitoring?.enabled || monitoring.installVia !== "helm") {
        return platform;
    }
    return { ...platform, monitoring: { ...monitoring, grafanaAdminPassword: pulumi.secret(monitoring.grafanaAdminPassword) } };
}

/** Config values that are secrets: error messages name them but never quote them. */
const SECRET_PATHS: readonly (readonly string[])[] = [
    ...BACKEND_KINDS.map((kind) => ["backends", kind]),
    ["platform", "monitoring", "grafanaAdminPassword"],
];

/** The raw config as error messages may quote it, with every secret value masked. */
function withoutSecrets(raw: Record<string, unknown>): Record<string, unknown> {
    const masked = structuredClone(raw);
    for (const path of SECRET_PATHS) {
        const parent = path.slice(0, -1).reduce<unknown>(
            (node, part) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined), masked);
        const key = path[path.length - 1]!;
        if (parent !== null && typeof parent === "object" && (parent as Record<string, unknown>)[key] !== undefined) {
            (parent as Record<string, unknown>)[key] = "[secret]";
        }
    }
    return masked;
}

function secretBackends(urls: ParsedStackConfig["backends"]): StackConfig["backends"] {
    const backends: Partial<Record<BackendKind, Backend>> = {};
    for (const [kind, url] of Object.entries(urls) as [BackendKind, string | undefined][]) {
        if (url !== undefined) {
            backends[kind] = { ...backendEndpoint(kind, url), url: pulumi.secret(url) };
        }
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
