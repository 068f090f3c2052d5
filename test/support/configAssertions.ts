import * as assert from "node:assert/strict";
import { ConfigError, ConfigSource, loadConfig, StackConfig } from "../../config";
import { projectDefaults } from "./projectConfig";

/**
 * A config source that answers as the CLI does (strings, structured values as JSON text), with
 * `overrides` laid over Pulumi.yaml's project defaults; `secretKeys` are the keys it holds as secrets.
 */
export function cliConfigSource(overrides: Record<string, unknown>, secretKeys: readonly string[] = []): ConfigSource {
    const values: Record<string, unknown> = { ...projectDefaults(), ...overrides };
    return {
        get: (key) => {
            const value = values[key];
            return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
        },
        isSecret: (key) => secretKeys.includes(key),
    };
}

export function loadFrom(overrides: Record<string, unknown>): StackConfig {
    return loadConfig(cliConfigSource(overrides));
}

/** The ConfigError message for `overrides`; fails when the config is accepted. */
export function configProblems(overrides: Record<string, unknown>): string {
    try {
        loadFrom(overrides);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.message;
    }
    assert.fail("the config was accepted");
}

/** Asserts the config is refused with a problem under the full `key` whose line matches `expected`. */
export function assertConfigRejected(overrides: Record<string, unknown>, key: string, ...expected: RegExp[]): void {
    const message = configProblems(overrides);
    const line = message.split("\n").find((l) => l.includes(`- ${key}:`));
    assert.ok(line, `no problem reported for ${key} in:\n${message}`);
    for (const pattern of expected) {
        assert.match(line, pattern);
    }
}
