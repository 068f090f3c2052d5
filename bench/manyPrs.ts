/**
 * Many PR environments at once, on the real engine and cluster, as CI starts them: `rollout-bot pr
 * up` of the full catalogue for 10 PRs one after another, then for 10 more started together (each
 * its own stack, engine lock and settings file), both from nothing, so each batch does the same
 * work. For each batch: wall time, throughput, the machine's peak memory above what it used just
 * before, and how many runs failed. A third batch of 10 started together makes 30 PR environments
 * of the full catalogue, over which `pr reap` (a dry run) reads every history; `pr down` then takes
 * all of them away, 10 at a time.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { pooled } from "../lib/pooled";
import { engineEnv } from "../test/e2e/support/engine";
import { timed } from "./measure";

export interface BatchRow {
    readonly batch: string;
    readonly prs: number;
    readonly wallMs: number;
    /** The machine's used memory (MemTotal - MemAvailable) at its highest during the batch, above what it was before. */
    readonly peakMemoryMiB: number;
    readonly failed: number;
}

export interface ManyPrsResult {
    readonly batches: readonly BatchRow[];
    readonly reap: { readonly stacks: number; readonly ms: number; readonly failed: boolean };
    /** Each failed run: its command and the first lines of its error. */
    readonly failures: readonly string[];
}

const BOT = path.join(__dirname, "..", "bot", "bin.js");
const BATCH = 10;
const FIRST_PR = 9101;
/** Variables of the caller's shell that would send the bot to a real GitHub. */
const GITHUB_VARIABLES = ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"];

interface BotExit {
    readonly args: readonly string[];
    readonly code: number;
    readonly error: string;
}

function botEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...engineEnv() };
    for (const name of GITHUB_VARIABLES) {
        delete env[name];
    }
    return env;
}

/** One `rollout-bot ... --json` process; resolves with its exit code and, when it failed, its error. */
function bot(...args: string[]): Promise<BotExit> {
    return new Promise((resolve) => {
        execFile(process.execPath, [BOT, ...args, "--json"], { env: botEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
            let message = "";
            if (code !== 0) {
                try {
                    message = String((JSON.parse(stdout) as { error?: unknown }).error);
                } catch {
                    message = stderr.trim().split("\n").pop() ?? error?.message ?? "";
                }
            }
            // The headline and the engine's first lines of detail, on one line.
            resolve({ args, code, error: message.split("\n").map((line) => line.trim()).filter((line) => line !== "").slice(0, 4).join(" / ") });
        });
    });
}

function usedMemoryMiB(): number {
    const info = readFileSync("/proc/meminfo", "utf8");
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(info)?.[1] ?? NaN);
    return (kib("MemTotal") - kib("MemAvailable")) / 1024;
}

/** Runs `action` while sampling the machine's used memory every 200 ms; the peak is above the level just before. */
async function withPeakMemory<T>(action: () => Promise<T>): Promise<{ result: T; wallMs: number; peakMemoryMiB: number }> {
    const before = usedMemoryMiB();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, usedMemoryMiB())), 200);
    try {
        let result!: T;
        const wallMs = await timed(async () => (result = await action()));
        return { result, wallMs, peakMemoryMiB: Math.max(peak, usedMemoryMiB()) - before };
    } finally {
        clearInterval(sampler);
    }
}

const prUp = (pr: number) => () => bot("pr", "up", String(pr), "--image-tag", `pr-${pr}-1a2b3c4`);

/** Measures the batches, the reap over all their stacks, and takes every stack down again. */
export async function benchManyPrs(): Promise<ManyPrsResult> {
    const prs = Array.from({ length: 3 * BATCH }, (_, i) => FIRST_PR + i);
    const [serial, together, more] = [prs.slice(0, BATCH), prs.slice(BATCH, 2 * BATCH), prs.slice(2 * BATCH)];
    const batches: BatchRow[] = [];
    const failures: string[] = [];
    const record = (batch: string, count: number, run: { result: BotExit[]; wallMs: number; peakMemoryMiB: number }) => {
        const failed = run.result.filter((exit) => exit.code !== 0);
        failures.push(...failed.map((exit) => `rollout-bot ${exit.args.join(" ")}: exit ${exit.code}: ${exit.error}`));
        batches.push({ batch, prs: count, wallMs: run.wallMs, peakMemoryMiB: run.peakMemoryMiB, failed: failed.length });
    };
    try {
        record("one after another", serial.length, await withPeakMemory(() => pooled(serial.map(prUp), 1)));
        record("started together", together.length, await withPeakMemory(() => pooled(together.map(prUp), BATCH)));
        record("started together, stacks 21 to 30", more.length, await withPeakMemory(() => pooled(more.map(prUp), BATCH)));
        let reapExit: BotExit | undefined;
        const reapMs = await timed(async () => (reapExit = await bot("pr", "reap", "--idle", "1h", "--keep-label", "")));
        if (reapExit!.code !== 0) {
            failures.push(`rollout-bot pr reap: exit ${reapExit!.code}: ${reapExit!.error}`);
        }
        return { batches, reap: { stacks: prs.length, ms: reapMs, failed: reapExit!.code !== 0 }, failures };
    } finally {
        const downs = await pooled(prs.map((pr) => () => bot("pr", "down", String(pr))), BATCH);
        for (const exit of downs.filter((down) => down.code !== 0)) {
            console.error(`rollout-bot ${exit.args.join(" ")} failed (exit ${exit.code}): ${exit.error}`);
        }
    }
}
