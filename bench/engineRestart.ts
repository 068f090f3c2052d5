/**
 * The restart path on the real engine and a real API server: `pulumi preview` with no change and
 * with a new deployedAt, and `pulumi up` of a restart, side by side with `kubectl rollout restart`
 * (+ `kubectl rollout status`, since an up also waits for the rollout) of the same Deployments.
 */
import { execFileSync } from "node:child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { engineEnv, openStack, setContractConfig } from "../test/e2e/support/engine";

export interface EngineRow {
    readonly services: number;
    readonly previewNoChangeMs: number;
    readonly previewRestartMs: number;
    readonly upRestartMs: number;
    readonly kubectlRestartMs: number;
}

async function timed(action: () => Promise<unknown> | unknown): Promise<number> {
    const start = process.hrtime.bigint();
    await action();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function stackConfig(size: number, deployedAt: string): Record<string, unknown> {
    return {
        services: Array.from({ length: size }, (_, i) => ({ name: `svc-${i}`, image: `ghcr.io/pilab-hu/svc-${i}`, port: 8080 })),
        pr: { number: 9000 + size, quota: { requestsCpu: "100", requestsMemory: "100Gi", limitsCpu: "100", limitsMemory: "100Gi", pods: size * 3 } },
        deployedAt,
    };
}

function kubectl(...args: string[]): void {
    execFileSync("kubectl", args, { env: { ...process.env, ...engineEnv() }, stdio: "ignore" });
}

/** Measures one size on its own stack, destroyed and removed afterwards. */
export async function benchRestart(size: number, runs: number): Promise<EngineRow> {
    const stackName = `bench-restart-${size}`;
    let stamp = Date.UTC(2025, 0, 1);
    const nextDeployedAt = () => new Date((stamp += 60_000)).toISOString().replace(/\.\d{3}Z$/, "Z");
    const stack: Stack = await openStack(stackName, stackConfig(size, nextDeployedAt()));
    try {
        await stack.up();
        const namespace = (await stack.outputs()).namespace!.value as string;
        const deployments = Array.from({ length: size }, (_, i) => `deployment/svc-${i}`);
        const samples = { previewNoChange: [] as number[], previewRestart: [] as number[], upRestart: [] as number[], kubectl: [] as number[] };
        for (let run = 0; run < runs; run++) {
            samples.previewNoChange.push(await timed(() => stack.preview()));
            await setContractConfig(stack, stackConfig(size, nextDeployedAt()));
            samples.previewRestart.push(await timed(() => stack.preview()));
            samples.upRestart.push(await timed(() => stack.up()));
            samples.kubectl.push(await timed(() => {
                kubectl("rollout", "restart", "-n", namespace, ...deployments);
                for (const deployment of deployments) {
                    kubectl("rollout", "status", "-n", namespace, deployment, "--timeout=300s");
                }
            }));
        }
        return {
            services: size,
            previewNoChangeMs: median(samples.previewNoChange),
            previewRestartMs: median(samples.previewRestart),
            upRestartMs: median(samples.upRestart),
            kubectlRestartMs: median(samples.kubectl),
        };
    } finally {
        await stack.destroy();
        await stack.workspace.removeStack(stackName);
    }
}
