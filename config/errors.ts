import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { GivenConfig } from "./secrets";

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
 * prints the message alone, without a stack trace. Every problem is masked against the config it
 * is about (see config/secrets.ts), so neither the message nor `problems` quotes a secret.
 */
export class ConfigError extends pulumi.RunError {
    readonly problems: readonly ConfigProblem[];

    /** @param given the config the problems are about; not kept. Without it, only credentials in URLs are masked. */
    constructor(problems: readonly ConfigProblem[], given: GivenConfig = GivenConfig.NONE) {
        const shown = problems.map((problem) => given.mask(problem));
        super(
            `Invalid configuration (${shown.length} problem${shown.length === 1 ? "" : "s"}); nothing was changed:\n` +
            shown.map((p) => `  - ${p.key}: ${p.message} (given: ${p.given})`).join("\n"),
        );
        this.problems = shown;
        this.name = "ConfigError";
    }
}

/** `rollout-stacks:services[1].port` for the path `["services", 1, "port"]`. */
export function fullKey(path: readonly PropertyKey[]): string {
    const rest = path.slice(1).map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
    return `${CONFIG_NAMESPACE}:${String(path[0] ?? "")}${rest}`;
}

/** Every zod issue as a problem with its full key; unknown keys become one problem each. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], given: GivenConfig): ConfigProblem[] {
    return issues.flatMap((issue): ConfigProblem[] => {
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((key) => {
                const path = [...issue.path, key];
                return { key: fullKey(path), message: "unknown key; check its spelling against Pulumi.yaml's config block", given: given.quote(path) };
            });
        }
        return [{ key: fullKey(issue.path), message: issue.message, given: given.quote(issue.path) }];
    });
}
