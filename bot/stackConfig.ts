import { isDeepStrictEqual } from "node:util";
import type { ConfigMap, UpdateSummary } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE } from "../config/errors";

/**
 * Stack config as the bot reads and writes it. Every write is a whole top-level key in the
 * `pulumi config --json` shape (`objectValue` for structured keys), so numbers stay numbers and a
 * list is replaced, not merged index by index. The program stays the only judge of the values.
 */

/** One value as `pulumi config --json` prints it and `pulumi config set-all --json` reads it. */
export interface JsonConfigValue {
    readonly value: string;
    readonly objectValue?: unknown;
    readonly secret: boolean;
}

/** A config change: top-level keys (full, with namespace) to set, and keys to remove. */
export interface ConfigUpdate {
    readonly set: Readonly<Record<string, JsonConfigValue>>;
    readonly remove: readonly string[];
}

/** `rollout-stacks:<key>`. */
export function configKey(key: string): string {
    return `${CONFIG_NAMESPACE}:${key}`;
}

/** The value of a structured key as an object; undefined when unset or not an object. */
export function objectValue(config: ConfigMap, key: string): Record<string, unknown> | undefined {
    const entry = config[configKey(key)] as (ConfigMap[string] & { objectValue?: unknown }) | undefined;
    if (entry === undefined) {
        return undefined;
    }
    let parsed: unknown = entry.objectValue;
    if (parsed === undefined) {
        try {
            parsed = JSON.parse(entry.value);
        } catch {
            return undefined;
        }
    }
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? { ...(parsed as Record<string, unknown>) } : undefined;
}

/** The text of a scalar key; undefined when unset. */
export function stringValue(config: ConfigMap, key: string): string | undefined {
    return config[configKey(key)]?.value;
}

export function plain(value: string): JsonConfigValue {
    return { value, secret: false };
}

export function structured(value: object): JsonConfigValue {
    return { value: JSON.stringify(value), objectValue: value, secret: false };
}

/** The semantic value of an entry: parsed JSON for structured values, the text otherwise. */
function meaning(entry: { value?: string; objectValue?: unknown; secret?: boolean } | undefined): unknown {
    if (entry === undefined) {
        return undefined;
    }
    if (entry.objectValue !== undefined) {
        return { object: entry.objectValue, secret: entry.secret ?? false };
    }
    try {
        const parsed: unknown = JSON.parse(entry.value ?? "");
        if (parsed !== null && typeof parsed === "object") {
            return { object: parsed, secret: entry.secret ?? false };
        }
    } catch {
        // A scalar; compared as text below.
    }
    return { text: entry.value, secret: entry.secret ?? false };
}

/**
 * What puts back the keys `update` changed, after an operation that applied nothing (the program
 * refused the config, or another update held the lock). A key is put back only if it still holds
 * what `update` wrote: if someone changed it since, their value wins and it is left alone.
 */
export function revertUpdate(before: ConfigMap, update: ConfigUpdate, now: ConfigMap): ConfigUpdate {
    const set: Record<string, JsonConfigValue> = {};
    const remove: string[] = [];
    const touched = [...Object.keys(update.set), ...update.remove];
    for (const key of touched) {
        const ours = key in update.set ? meaning(update.set[key]) : undefined;
        if (!isDeepStrictEqual(meaning(now[key]), ours)) {
            continue;
        }
        const previous = before[key];
        if (previous === undefined) {
            if (now[key] !== undefined) {
                remove.push(key);
            }
        } else {
            set[key] = { ...previous, secret: previous.secret ?? false } as JsonConfigValue;
        }
    }
    return { set, remove };
}

/** True when the update changes nothing. */
export function isEmptyUpdate(update: ConfigUpdate): boolean {
    return Object.keys(update.set).length === 0 && update.remove.length === 0;
}

/** The value `pulumi stack history --show-secrets` prints for a secret it could not decrypt. */
const UNDECRYPTABLE = "ERROR_UNABLE_TO_DECRYPT";

/**
 * Keys that belong to the project, not to a stack: the service catalogue lives in Pulumi.yaml
 * (stacks narrow it with pr.services but never redefine it), so restoring it would pin an old
 * catalogue into the stack file.
 */
const PROJECT_LEVEL_KEYS = new Set([configKey("services")]);

/**
 * The stack config to write into a checkout that has no `Pulumi.<stack>.yaml` (a CI runner, a
 * second machine): the config of the stack's last update, as the backend recorded it, minus
 * project-level keys. Undefined when there is no update to restore from.
 */
export function configFromLastUpdate(history: readonly UpdateSummary[]): ConfigUpdate | undefined {
    const last = history.find((entry) => entry.kind === "update");
    if (last === undefined) {
        return undefined;
    }
    const set: Record<string, JsonConfigValue> = {};
    for (const [key, entry] of Object.entries(last.config) as [string, { value?: string; objectValue?: unknown; secret?: boolean }][]) {
        if (PROJECT_LEVEL_KEYS.has(key) || entry.value === undefined || entry.value === UNDECRYPTABLE) {
            continue;
        }
        set[key] = entry.objectValue === undefined
            ? { value: entry.value, secret: entry.secret ?? false }
            : { value: entry.value, objectValue: entry.objectValue, secret: entry.secret ?? false };
    }
    return { set, remove: [] };
}
