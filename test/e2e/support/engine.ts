import { readdirSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { ConfigMap, EngineEvent, LocalWorkspace, OpType, Stack } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../support/projectConfig";

/**
 * The real engine for end-to-end tests: the project's own program through the Automation API,
 * with the CLI, backend and cluster that scripts/e2e.sh put in the environment.
 */

function requireEnv(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") {
        throw new Error(`${name} is not set: run the end-to-end suite through npm run test:e2e (scripts/e2e.sh)`);
    }
    return value;
}

/** The environment every Pulumi command of the suite runs with. */
export function engineEnv(): { readonly KUBECONFIG: string } & Record<string, string> {
    return {
        // The Automation API resolves `pulumi` against the env it is given, not the process's.
        PATH: requireEnv("PATH"),
        KUBECONFIG: requireEnv("KUBECONFIG"),
        PULUMI_BACKEND_URL: requireEnv("PULUMI_BACKEND_URL"),
        PULUMI_CONFIG_PASSPHRASE: requireEnv("PULUMI_CONFIG_PASSPHRASE"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

/** Config keys without namespace, as a config map of the contract (structured values as JSON). */
export function contractConfig(values: Record<string, unknown>): ConfigMap {
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [
        `rollout-stacks:${key}`,
        // Users set backends' URLs as secrets (they carry credentials); so do the scenarios.
        { value: typeof value === "string" ? value : JSON.stringify(value), secret: key === "backends" },
    ]));
}

/**
 * Opens a stack with exactly `config`. A stack left behind by an aborted run is destroyed first
 * (refreshing it against the cluster), so every scenario starts from nothing. `env` is
 * {@link engineEnv} unless a scenario keeps its stacks in a backend of its own.
 */
export async function openStack(stackName: string, config: Record<string, unknown>, env: Record<string, string> = engineEnv()): Promise<Stack> {
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: REPO_ROOT }, { envVars: env });
    const leftovers = (await stack.exportStack()).deployment?.resources ?? [];
    if (leftovers.length > 0) {
        await stack.cancel().catch(() => undefined);
        await stack.destroy({ refresh: true });
    }
    await setContractConfig(stack, config);
    return stack;
}

/** Replaces the stack's contract config with `values` (keys not named are removed). */
export async function setContractConfig(stack: Stack, values: Record<string, unknown>): Promise<void> {
    const current = await stack.getAllConfig();
    const stale = Object.keys(current).filter((key) => key.startsWith("rollout-stacks:") && !(key.slice("rollout-stacks:".length) in values));
    if (stale.length > 0) {
        await stack.removeAllConfig(stale);
    }
    await stack.setAllConfig(contractConfig(values));
}

/**
 * Runs `body` on a fresh stack ({@link openStack}) and always destroys and removes it afterwards,
 * so a failed scenario leaves neither cluster objects nor state behind.
 */
export async function withStack<T>(
    stackName: string, config: Record<string, unknown>, body: (stack: Stack) => Promise<T>, env: Record<string, string> = engineEnv(),
): Promise<T> {
    const stack = await openStack(stackName, config, env);
    let failure: unknown;
    try {
        return await body(stack);
    } catch (error) {
        failure = error;
        throw error;
    } finally {
        await cleanUp(stack, stackName, failure);
    }
}

/** Destroys and removes a stack; a cleanup error never hides the scenario's own failure. */
export async function cleanUp(stack: Stack, stackName: string, failure?: unknown): Promise<void> {
    try {
        await stack.cancel().catch(() => undefined);
        await stack.destroy({ refresh: true });
        await stack.workspace.removeStack(stackName);
    } catch (cleanupError) {
        if (failure === undefined) {
            throw cleanupError;
        }
        console.error(`cleaning up ${stackName} failed as well: ${String(cleanupError)}`);
    }
}

/** One resource step the engine planned or took. */
export interface Step {
    readonly op: OpType;
    readonly type: string;
    readonly urn: string;
    readonly diffs: readonly string[];
}

/** Collects the resource steps of a preview or update from its engine events. */
export function stepRecorder(): { readonly steps: Step[]; readonly onEvent: (event: EngineEvent) => void } {
    const steps: Step[] = [];
    return {
        steps,
        onEvent: (event) => {
            const metadata = event.resourcePreEvent?.metadata;
            if (metadata !== undefined && metadata.op !== "same") {
                steps.push({ op: metadata.op, type: metadata.type, urn: metadata.urn, diffs: metadata.diffs ?? [] });
            }
        },
    };
}

/** Steps other than reads and sames, by op: what a reviewer calls "changes". */
export function changesByOp(steps: readonly Step[]): Record<string, string[]> {
    const byOp: Record<string, string[]> = {};
    for (const step of steps.filter((s) => s.op !== "read" && s.op !== "refresh")) {
        (byOp[step.op] ??= []).push(step.type);
    }
    return byOp;
}

/**
 * The repair bot/errors.ts's TRUNCATED_STATE_ADVICE tells users: a `pulumi` killed while writing
 * a file backend's state can leave the state's `.attrs` sidecar empty, which no later command can
 * load. Removes such an empty sidecar of `stackName`; true when there was one.
 */
export function removeEmptyStateSidecar(stackName: string, env: Record<string, string> = engineEnv()): boolean {
    const backend = env.PULUMI_BACKEND_URL ?? "";
    if (!backend.startsWith("file://")) {
        return false;
    }
    const dir = backend.slice("file://".length).replace(/^~(?=\/|$)/, homedir());
    const stacksDir = path.join(dir, ".pulumi", "stacks");
    let removed = false;
    for (const project of readdirSync(stacksDir)) {
        const sidecar = path.join(stacksDir, project, `${stackName}.json.attrs`);
        try {
            if (statSync(sidecar).size === 0) {
                rmSync(sidecar);
                removed = true;
            }
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
                throw error;
            }
        }
    }
    return removed;
}
