import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const NAMESPACE = "rollout-stacks";

type ConfigValues = Record<string, unknown>;

function readYaml(file: string): Record<string, unknown> {
    return (yaml.load(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")) ?? {}) as Record<string, unknown>;
}

/**
 * The project-level defaults of Pulumi.yaml's `config:` block, as the CLI merges them under a
 * stack's own config: `value:` and `default:` entries, and plain scalars.
 */
export function projectDefaults(): ConfigValues {
    const block = (readYaml("Pulumi.yaml").config ?? {}) as Record<string, unknown>;
    const values: ConfigValues = {};
    for (const [key, entry] of Object.entries(block)) {
        if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
            const declared = entry as { value?: unknown; default?: unknown };
            const value = declared.value ?? declared.default;
            if (value !== undefined) {
                values[key] = value;
            }
        } else {
            values[key] = entry;
        }
    }
    return values;
}

/** A service of Pulumi.yaml's catalogue, as the file writes it. */
export interface CatalogueService {
    readonly name: string;
    readonly image: string;
    readonly port: number;
    readonly replicas: number;
    readonly resources: {
        readonly requests: { readonly cpu: string; readonly memory: string };
        readonly limits: { readonly cpu: string; readonly memory: string };
    };
}

/** Pulumi.yaml's service catalogue, in its order: what a stack deploys unless it narrows it. */
export function catalogue(): readonly CatalogueService[] {
    return projectDefaults().services as CatalogueService[];
}

/** The names of the catalogue's services, in its order. */
export function catalogueNames(): string[] {
    return catalogue().map((service) => service.name);
}

/** The config a stack file (`Pulumi.<stack>.yaml`) sets in this project's namespace, keys without it. */
export function stackFileConfig(stack: string): ConfigValues {
    const block = (readYaml(`Pulumi.${stack}.yaml`).config ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
        Object.entries(block)
            .filter(([key]) => key.startsWith(`${NAMESPACE}:`))
            .map(([key, value]) => [key.slice(NAMESPACE.length + 1), value]),
    );
}

/**
 * A stack file's config without `environment.promotedFrom`: for tests of what the stack deploys,
 * run as if its source stack had run every image Healthy. The gate has tests of its own.
 */
export function ungatedStackFileConfig(stack: string): ConfigValues {
    const config = stackFileConfig(stack);
    const environment = config.environment as Record<string, unknown> | undefined;
    if (environment === undefined) {
        return config;
    }
    const { promotedFrom: _gate, ...ungated } = environment;
    return { ...config, environment: ungated };
}

/**
 * Config as the CLI hands it to a program: every key namespaced, structured values as JSON text,
 * scalars as strings.
 */
export function asCliConfig(values: ConfigValues): Record<string, string> {
    return Object.fromEntries(Object.entries(values)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [`${NAMESPACE}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]));
}
