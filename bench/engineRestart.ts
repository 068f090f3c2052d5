/**
 * The restart path on the real engine and a real API server: `pulumi preview` with no change and
 * with a new deployedAt, `pulumi up` of a restart and the release bot's `restart` (a process of
 * its own, as CI runs it), side by side with the engine's floor (bench/floor.ts: a plain-JS
 * program declaring the same objects) and with `kubectl rollout restart` (+ `kubectl rollout
 * status`, since an up also waits for the rollout) of the same Deployments.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { engineEnv, openStack, setContractConfig } from "../test/e2e/support/engine";
import { REPO_ROOT } from "../test/support/projectConfig";
import { BotTimeline, botTimeline } from "./botTimeline";
import { Phase, phases, traced } from "./engineTrace";
import { floorObjects, openFloorStack } from "./floor";
import { median, timed } from "./measure";

export interface EngineRow {
    readonly services: number;
    readonly previewNoChangeMs: number;
    readonly previewRestartMs: number;
    readonly upRestartMs: number;
    readonly botRestartMs: number;
    readonly kubectlRestartMs: number;
    /** The floor's no-change preview and restart up, of the same objects. */
    readonly floorPreviewNoChangeMs: number;
    readonly floorUpRestartMs: number;
    /**
     * The same no-change previews (the PR stack's and the floor's) and bot restart with the SDK's
     * TypeScript and npm modules loaded at start-up (ROLLOUT_STACKS_DEFER_SDK_MODULES=false).
     */
    readonly eager: { readonly previewNoChangeMs: number; readonly floorPreviewNoChangeMs: number; readonly botRestartMs: number };
    /** One traced run of each, cut into the engine's phases (bench/engineTrace.ts). */
    readonly breakdown: {
        readonly preview: readonly Phase[];
        readonly eagerPreview: readonly Phase[];
        readonly floorPreview: readonly Phase[];
        readonly floorEagerPreview: readonly Phase[];
        readonly up: readonly Phase[];
        readonly floorUp: readonly Phase[];
        /** One more bot restart, each `pulumi` process it starts timed. */
        readonly bot: BotTimeline;
    };
}

/**
 * How the program, the floor and the bot start: with the SDK's TypeScript and npm modules loaded
 * at first use (scripts/lib/deferSdkModules.js), or at start-up.
 */
type StartMode = "deferred" | "eager";

const START_ENV: Record<StartMode, Record<string, string>> = {
    deferred: { ROLLOUT_STACKS_DEFER_SDK_MODULES: "true" },
    eager: { ROLLOUT_STACKS_DEFER_SDK_MODULES: "false" },
};

const BOT = path.join(__dirname, "..", "bot", "bin.js");

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

/** `rollout-bot restart <stack>`: deployedAt = now, then the same `pulumi up`. */
function botRestart(stackName: string, mode: StartMode): void {
    const env = { ...process.env, ...engineEnv(), ...START_ENV[mode] };
    execFileSync(process.execPath, [BOT, "restart", stackName, "--json"], { env, stdio: "ignore" });
}

/** `pulumi <args>` as the Automation API runs it, traced, with the program started the given way. */
function tracedPhases(args: readonly string[], cwd: string, mode: StartMode): Phase[] {
    return phases(traced(args, cwd, { ...process.env, ...engineEnv(), ...START_ENV[mode] }));
}

/** Runs `operation` on the stack with its program started the given way (the workspace's env reaches every CLI process it starts). */
async function inMode<T>(stack: Stack, mode: StartMode, operation: () => Promise<T>): Promise<T> {
    const env = stack.workspace.envVars;
    Object.assign(env, START_ENV[mode]);
    try {
        return await operation();
    } finally {
        Object.assign(env, START_ENV.deferred);
    }
}

/** Measures one size on its own stack, destroyed and removed afterwards. */
export async function benchRestart(size: number, runs: number): Promise<EngineRow> {
    // A PR config deploys only in the stack of its own number (config/load.ts).
    const stackName = `pr-${9000 + size}`;
    let stamp = Date.UTC(2025, 0, 1);
    const nextDeployedAt = () => new Date((stamp += 60_000)).toISOString().replace(/\.\d{3}Z$/, "Z");
    const stack: Stack = await openStack(stackName, stackConfig(size, nextDeployedAt()));
    let disposeFloor = async () => undefined as void;
    try {
        await stack.up();
        const namespace = (await stack.outputs()).namespace!.value as string;
        const floor = await openFloorStack(`floor-${size}`, floorObjects(stack, engineEnv(), namespace, `floor-${size}`), engineEnv());
        disposeFloor = floor.dispose;
        await floor.setDeployedAt(nextDeployedAt());
        await floor.stack.up();
        const deployments = Array.from({ length: size }, (_, i) => `deployment/svc-${i}`);
        const samples = {
            previewNoChange: [] as number[], previewRestart: [] as number[], upRestart: [] as number[], bot: [] as number[], kubectl: [] as number[],
            floorPreviewNoChange: [] as number[], floorUpRestart: [] as number[],
            eagerPreviewNoChange: [] as number[], floorEagerPreviewNoChange: [] as number[], eagerBot: [] as number[],
        };
        for (let run = 0; run < runs; run++) {
            samples.previewNoChange.push(await timed(() => stack.preview()));
            samples.floorPreviewNoChange.push(await timed(() => floor.stack.preview()));
            samples.eagerPreviewNoChange.push(await timed(() => inMode(stack, "eager", () => stack.preview())));
            samples.floorEagerPreviewNoChange.push(await timed(() => inMode(floor.stack, "eager", () => floor.stack.preview())));
            await setContractConfig(stack, stackConfig(size, nextDeployedAt()));
            samples.previewRestart.push(await timed(() => stack.preview()));
            samples.upRestart.push(await timed(() => stack.up()));
            await floor.setDeployedAt(nextDeployedAt());
            samples.floorUpRestart.push(await timed(() => floor.stack.up()));
            samples.bot.push(await timed(() => botRestart(stackName, "deferred")));
            samples.eagerBot.push(await timed(() => botRestart(stackName, "eager")));
            samples.kubectl.push(await timed(() => {
                kubectl("rollout", "restart", "-n", namespace, ...deployments);
                for (const deployment of deployments) {
                    kubectl("rollout", "status", "-n", namespace, deployment, "--timeout=300s");
                }
            }));
        }
        const floorDir = floor.stack.workspace.workDir;
        const preview = (name: string) => ["preview", "--stack", name];
        const up = (name: string) => ["up", "--yes", "--skip-preview", "--stack", name];
        const breakdown = {
            preview: tracedPhases(preview(stackName), REPO_ROOT, "deferred"),
            eagerPreview: tracedPhases(preview(stackName), REPO_ROOT, "eager"),
            floorPreview: tracedPhases(preview(floor.stack.name), floorDir, "deferred"),
            floorEagerPreview: tracedPhases(preview(floor.stack.name), floorDir, "eager"),
            up: await setContractConfig(stack, stackConfig(size, nextDeployedAt())).then(() => tracedPhases(up(stackName), REPO_ROOT, "deferred")),
            floorUp: await floor.setDeployedAt(nextDeployedAt()).then(() => tracedPhases(up(floor.stack.name), floorDir, "deferred")),
            bot: botTimeline(BOT, ["restart", stackName, "--json"], { ...process.env, ...engineEnv(), ...START_ENV.deferred }),
        };
        return {
            breakdown,
            services: size,
            previewNoChangeMs: median(samples.previewNoChange),
            previewRestartMs: median(samples.previewRestart),
            upRestartMs: median(samples.upRestart),
            botRestartMs: median(samples.bot),
            kubectlRestartMs: median(samples.kubectl),
            floorPreviewNoChangeMs: median(samples.floorPreviewNoChange),
            floorUpRestartMs: median(samples.floorUpRestart),
            eager: {
                previewNoChangeMs: median(samples.eagerPreviewNoChange),
                floorPreviewNoChangeMs: median(samples.floorEagerPreviewNoChange),
                botRestartMs: median(samples.eagerBot),
            },
        };
    } finally {
        await disposeFloor();
        await stack.destroy();
        await stack.workspace.removeStack(stackName);
    }
}
