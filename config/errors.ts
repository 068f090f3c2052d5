import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/** The config namespace of this project: keys are `rollout-stacks:<key>`. */
export const CONFIG_NAMESPACE = "rollout-stacks";

/** One thing wrong with the stack's config: the full key, what was expected, and what was given. */
export interface ConfigProblem {
    readonly key: string;
    readonly message: string;
    readonly given: string;
}

/**
 * Raised before any resource is registered when config does not parse. A RunError, so the CLI
 * prints the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was changed:\n` +
            problems.map((p) => `  - ${p.key}: ${p.message} (given: ${p.given})`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `rollout-stacks:services[1].port` for the path `["services", 1, "port"]`. */
export function fullKey(path: readonly PropertyKey[]): string {
    const rest = path.slice(1).map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
    return `${CONFIG_NAMESPACE}:${String(path[0] ?? "")}${rest}`;
}

/** The value at `path` in the raw config, for the "given" part of a message. */
export function describeGiven(raw: unknown, path: readonly PropertyKey[]): string {
    let value: unknown = raw;
    for (const part of path) {
        if (value === null || typeof value !== "object") {
            value = undefined;
            break;
        }
        value = (value as Record<PropertyKey, unknown>)[part];
    }
    if (value === undefined) {
        return "nothing";
    }
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Every zod issue as a problem with its full key; unknown keys become one problem each. */
export function problemsFromIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    return issues.flatMap((issue): ConfigProblem[] => {
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((key) => {
                const path = [...issue.path, key];
                return { key: fullKey(path), message: "unknown key; check its spelling against Pulumi.yaml's config block", given: describeGiven(raw, path) };
            });
        }
        return [{ key: fullKey(issue.path), message: issue.message, given: describeGiven(raw, issue.path) }];
    });
}
