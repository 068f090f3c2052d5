/**
 * The engine's floor for a PR stack: bench/floor/index.js, a plain-JavaScript program declaring
 * exactly the Kubernetes objects the PR stack declares, from the inputs the PR stack recorded in
 * its state, in a namespace of its own. What the floor costs is what any program declaring those
 * objects pays to the CLI, the language host, the provider and the API server; what the PR stack
 * costs above it is ours.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../test/support/projectConfig";

const FLOOR_DIR = path.join(__dirname, "floor");

/** One object as bench/floor/index.js declares it. */
export interface FloorObject {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: unknown;
    readonly dependsOn: readonly string[];
}

interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly custom?: boolean;
    readonly inputs?: unknown;
    readonly dependencies?: readonly string[];
}

/**
 * The Kubernetes objects of `stack`'s last update, in the order the engine recorded them (each
 * after what it depends on), with every occurrence of `from` (the PR's namespace) replaced by `to`.
 * Secrets come as `pulumi stack export --show-secrets` prints them; the floor makes them secrets again.
 */
export function floorObjects(stack: Stack, env: Record<string, string>, from: string, to: string): FloorObject[] {
    const exported = execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", stack.name], {
        cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    });
    const resources = (JSON.parse(exported) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [];
    const objects = resources.filter((r) => r.custom === true && r.type.startsWith("kubernetes:"));
    const kept = new Set(objects.map((r) => r.urn));
    // Names are unique per type and parent in the PR stack; the floor has no parents, so a repeat gets a suffix.
    const taken = new Set<string>();
    const renamed = objects.map((r): FloorObject => {
        const base = r.urn.split("::").pop()!;
        let name = base;
        for (let n = 2; taken.has(`${r.type} ${name}`); n++) {
            name = `${base}-${n}`;
        }
        taken.add(`${r.type} ${name}`);
        return { urn: r.urn, type: r.type, name, inputs: r.inputs ?? {}, dependsOn: (r.dependencies ?? []).filter((urn) => kept.has(urn)) };
    });
    return JSON.parse(JSON.stringify(renamed).replaceAll(from, to)) as FloorObject[];
}

/** The floor's stack `stackName` declaring `objects`, restarted by `deployedAt`; `dispose` destroys and removes it. */
export async function openFloorStack(stackName: string, objects: readonly FloorObject[], env: Record<string, string>):
    Promise<{ readonly stack: Stack; readonly setDeployedAt: (deployedAt: string) => Promise<void>; readonly dispose: () => Promise<void> }> {
    const dir = mkdtempSync(path.join(tmpdir(), "rollout-stacks-floor-"));
    const objectsFile = path.join(dir, "objects.json");
    writeFileSync(objectsFile, JSON.stringify(objects));
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: FLOOR_DIR }, { envVars: env });
    await stack.setConfig("objectsFile", { value: objectsFile });
    return {
        stack,
        setDeployedAt: (deployedAt) => stack.setConfig("deployedAt", { value: deployedAt }),
        dispose: async () => {
            try {
                await stack.destroy();
                await stack.workspace.removeStack(stackName);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        },
    };
}
