/**
 * `npm run bench`: how the program's cost grows with the size of a PR stack, evaluated on mocks
 * (each size in a fresh process, ratios against the smallest size and the cost of each service added
 * since the size before), then the restart path on the real engine against the engine's floor (a
 * plain-JS program declaring the same objects) and `kubectl rollout restart` when scripts/bench.sh
 * has put an engine in reach, a canary release judged by a real Prometheus, an undo with and without
 * `rollbackWindow`, `pr reap`'s reading of many PR stacks' histories, and many PR environments
 * brought up one after another and at once.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { CliProcess } from "./botTimeline";
import { benchRestart, EngineRow } from "./engineRestart";
import { Phase, PHASES } from "./engineTrace";
import { median } from "./measure";
import { benchRelease } from "./releaseAnalysis";
import { benchManyPrs } from "./manyPrs";
import { benchReap } from "./reap";
import { benchRollback, ROLLBACK_STEPS_CAPTION } from "./rollback";

const SIZES = [4, 40, 400, 1000];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Restarts on the real engine: 4 services, the catalogue's 12, and 40. */
const ENGINE_SIZES = [4, 12, 40];
/** PR stacks for pr reap: a few, and a team's worth of open PRs. */
const REAP_SIZES = [10, 30];

interface Sample {
    readonly services: number;
    readonly resources: number;
    readonly wallMs: number;
    readonly peakRssMiB: number;
}

function measure(size: number): Sample {
    const tsx = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
    const out = execFileSync(tsx, [path.join(__dirname, "prStackOnMocks.ts"), String(size)], { encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop() ?? "") as Sample;
}

async function mocksTable(): Promise<void> {
    const rows = SIZES.map((size) => {
        const samples = Array.from({ length: RUNS }, () => measure(size));
        return {
            services: size,
            resources: samples[0]!.resources,
            wallMs: median(samples.map((s) => s.wallMs)),
            peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
        };
    });
    const base = rows[0]!;
    console.log(`PR stack evaluated on mocks (median of ${RUNS} runs per size, one process each)\n`);
    // The cost of each service added since the row above: constant down the column when growth is linear.
    console.log("| services | resources | wall ms | peak RSS MiB | resources ratio | wall ratio | memory ratio | ms per added service | MiB per added service |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach((row, i) => {
        const previous = rows[i - 1];
        const perAdded = (figure: (r: typeof row) => number, digits: number) => previous === undefined ? ""
            : ((figure(row) - figure(previous)) / (row.services - previous.services)).toFixed(digits);
        console.log(`| ${row.services} | ${row.resources} | ${row.wallMs.toFixed(0)} | ${row.peakRssMiB.toFixed(0)} | ` +
            `${(row.resources / base.resources).toFixed(1)}x | ${(row.wallMs / base.wallMs).toFixed(1)}x | ${(row.peakRssMiB / base.peakRssMiB).toFixed(1)}x | ` +
            `${perAdded((r) => r.wallMs, 1)} | ${perAdded((r) => r.peakRssMiB, 2)} |`);
    });
}

async function engineTable(): Promise<void> {
    const runs = Number(process.env.BENCH_ENGINE_RUNS ?? 3);
    console.log(`\nRestart on the real engine and a kwok cluster (median of ${runs} runs per size); the floor is a plain-JS program declaring the same objects (bench/floor.ts)\n`);
    console.log("| services | preview, no change ms | floor preview, no change ms | preview / floor | preview, new deployedAt ms | " +
        "up, restart ms | floor up, restart ms | up / floor | rollout-bot restart ms | kubectl rollout restart + status ms | up / kubectl | bot / up |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const rows: EngineRow[] = [];
    for (const size of ENGINE_SIZES) {
        const row = await benchRestart(size, runs);
        rows.push(row);
        console.log(`| ${row.services} | ${row.previewNoChangeMs.toFixed(0)} | ${row.floorPreviewNoChangeMs.toFixed(0)} | ` +
            `${(row.previewNoChangeMs / row.floorPreviewNoChangeMs).toFixed(2)}x | ${row.previewRestartMs.toFixed(0)} | ` +
            `${row.upRestartMs.toFixed(0)} | ${row.floorUpRestartMs.toFixed(0)} | ${(row.upRestartMs / row.floorUpRestartMs).toFixed(2)}x | ` +
            `${row.botRestartMs.toFixed(0)} | ${row.kubectlRestartMs.toFixed(0)} | ` +
            `${(row.upRestartMs / row.kubectlRestartMs).toFixed(1)}x | ${(row.botRestartMs / row.upRestartMs).toFixed(1)}x |`);
    }
    console.log("\nThe same runs with the SDK's TypeScript and npm modules loaded at start-up (ROLLOUT_STACKS_DEFER_SDK_MODULES=false) against at first use (scripts/lib/deferSdkModules.js)\n");
    console.log("| services | preview, no change: at start-up ms | at first use ms | start-up / first use | floor preview: at start-up ms | at first use ms | start-up / first use | " +
        "rollout-bot restart: at start-up ms | at first use ms | start-up / first use | bot - up, at first use ms |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const row of rows) {
        const pair = (eager: number, deferred: number) => `${eager.toFixed(0)} | ${deferred.toFixed(0)} | ${(eager / deferred).toFixed(2)}x`;
        console.log(`| ${row.services} | ${pair(row.eager.previewNoChangeMs, row.previewNoChangeMs)} | ${pair(row.eager.floorPreviewNoChangeMs, row.floorPreviewNoChangeMs)} | ` +
            `${pair(row.eager.botRestartMs, row.botRestartMs)} | ${(row.botRestartMs - row.upRestartMs).toFixed(0)} |`);
    }
    console.log("\nWhere the time goes: one more run of each with the engine's own trace (pulumi --otel-traces), cut into phases (bench/engineTrace.ts)\n");
    console.log("| services | phase | preview, no change ms | SDK modules at start-up ms | floor ms | floor, SDK modules at start-up ms | up, restart ms | floor ms |");
    console.log("|---:|---|---:|---:|---:|---:|---:|---:|");
    for (const { services, breakdown } of rows) {
        const columns = [breakdown.preview, breakdown.eagerPreview, breakdown.floorPreview, breakdown.floorEagerPreview, breakdown.up, breakdown.floorUp];
        PHASES.forEach((phase, i) => console.log(`| ${services} | ${phase} | ${columns.map((column) => column[i]!.ms.toFixed(0)).join(" | ")} |`));
        const total = (column: readonly Phase[]) => column.reduce((sum, phase) => sum + phase.ms, 0).toFixed(0);
        console.log(`| ${services} | **total** | ${columns.map(total).join(" | ")} |`);
    }
    console.log("\nrollout-bot restart, one more run: each pulumi process it starts (timed by a wrapper on its PATH), and the rest (Node.js, the Automation API, the bot)\n");
    console.log("| services | wall ms | pulumi processes ms | the rest ms | over its `pulumi up` ms | over the Automation API's up() ms |");
    console.log("|---:|---:|---|---:|---:|---:|");
    for (const { services, breakdown: { bot } } of rows) {
        const sum = (processes: readonly CliProcess[]) => processes.reduce((total, process) => total + process.ms, 0);
        const up = bot.processes.findIndex((process) => process.command === "up");
        // The Automation API's up() is the `pulumi up` and what it runs after it (outputs, history).
        const apiUp = up === -1 ? 0 : sum(bot.processes.slice(up));
        console.log(`| ${services} | ${bot.wallMs.toFixed(0)} | ${bot.processes.map((p) => `${p.command} ${p.ms.toFixed(0)}`).join(", ")} | ` +
            `${(bot.wallMs - sum(bot.processes)).toFixed(0)} | ${(bot.wallMs - (bot.processes[up]?.ms ?? 0)).toFixed(0)} | ${(bot.wallMs - apiUp).toFixed(0)} |`);
    }
}

async function releaseTable(): Promise<void> {
    const runs = Number(process.env.BENCH_RELEASE_RUNS ?? 3);
    console.log(`\nA canary release judged by a real Prometheus (median of ${runs} runs; steps 20 %, pause 10 s, analysis of 3 measurements 5 s apart, 50 %, pause 10 s, 100 %)\n`);
    console.log("| release --wait until | measured ms | configured pauses + analysis ms | measured / configured |");
    console.log("|---|---:|---:|---:|");
    for (const row of await benchRelease(runs)) {
        console.log(`| ${row.outcome} | ${row.measuredMs.toFixed(0)} | ${row.configuredMs.toFixed(0)} | ${(row.measuredMs / row.configuredMs).toFixed(1)}x |`);
    }
}

async function rollbackTable(): Promise<void> {
    const runs = Number(process.env.BENCH_ROLLBACK_RUNS ?? 3);
    console.log(`\nRelease and undo on a canary with and without rollbackWindow (median of ${runs} alternating runs; ${ROLLBACK_STEPS_CAPTION})\n`);
    console.log("| action | environment | configured steps ms | measured ms | measured / configured | / full walk |");
    console.log("|---|---|---:|---:|---:|---:|");
    const rows = await benchRollback(runs);
    for (const row of rows) {
        const walk = rows.find((r) => r.environment === row.environment && r.kind === "release")!;
        const perConfigured = row.configuredMs === 0 ? "–" : `${(row.measuredMs / row.configuredMs).toFixed(1)}x`;
        console.log(`| ${row.action} | ${row.environment} | ${row.configuredMs.toFixed(0)} | ${row.measuredMs.toFixed(0)} | ` +
            `${perConfigured} | ${(row.measuredMs / walk.measuredMs).toFixed(2)}x |`);
    }
}

async function reapTable(): Promise<void> {
    const runs = Number(process.env.BENCH_REAP_RUNS ?? 3);
    console.log(`\nReading every PR stack's history for pr reap (median of ${runs} runs; empty stacks in a file backend of their own)\n`);
    console.log("| PR stacks | one stack at a time ms | stackHistories ms | one at a time / stackHistories | rollout-bot pr reap ms | pr reap ms per stack |");
    console.log("|---:|---:|---:|---:|---:|---:|");
    for (const row of await benchReap(REAP_SIZES, runs)) {
        console.log(`| ${row.stacks} | ${row.sequentialMs.toFixed(0)} | ${row.historiesMs.toFixed(0)} | ${(row.sequentialMs / row.historiesMs).toFixed(1)}x | ` +
            `${row.commandMs.toFixed(0)} | ${(row.commandMs / row.stacks).toFixed(0)} |`);
    }
}

async function manyPrsTable(): Promise<void> {
    console.log("\nMany PR environments of the full catalogue: rollout-bot pr up of 10 PRs one after another and 10 started together (one run; each from nothing)\n");
    console.log("| pr up of 10 PRs | wall ms | PRs per minute | throughput / one after another | peak memory above idle MiB | failed |");
    console.log("|---|---:|---:|---:|---:|---:|");
    const result = await benchManyPrs();
    const serial = result.batches[0]!;
    for (const row of result.batches) {
        console.log(`| ${row.batch} | ${row.wallMs.toFixed(0)} | ${(row.prs / (row.wallMs / 60_000)).toFixed(1)} | ` +
            `${(serial.wallMs / row.wallMs).toFixed(2)}x | ${row.peakMemoryMiB.toFixed(0)} | ${row.failed} |`);
    }
    console.log(`\nrollout-bot pr reap (dry run) over the ${result.reap.stacks} PR stacks: ${result.reap.ms.toFixed(0)} ms${result.reap.failed ? " (failed)" : ""}`);
    if (result.failures.length > 0) {
        console.log(`\n${result.failures.length} run(s) failed:\n${result.failures.map((line) => `- ${line}`).join("\n")}`);
        process.exitCode = 1;
    }
}

const TABLES = { mocks: mocksTable, restart: engineTable, release: releaseTable, rollback: rollbackTable, reap: reapTable, many: manyPrsTable } as const;
type Table = keyof typeof TABLES;
const ENGINE_TABLES: readonly Table[] = ["restart", "release", "rollback", "reap", "many"];

/** `npm run bench [-- <table>...]`: the named tables (mocks, restart, release, rollback, reap, many), all by default. */
function chosenTables(args: readonly string[]): Table[] {
    const unknown = args.filter((arg) => !(arg in TABLES));
    if (unknown.length > 0) {
        throw new Error(`unknown bench table ${unknown.join(", ")}: expected any of ${Object.keys(TABLES).join(", ")}`);
    }
    return args.length === 0 ? Object.keys(TABLES) as Table[] : args as Table[];
}

async function main(): Promise<void> {
    const engineInReach = process.env.KUBECONFIG !== undefined && process.env.PULUMI_BACKEND_URL !== undefined;
    for (const table of chosenTables(process.argv.slice(2))) {
        if (ENGINE_TABLES.includes(table) && !engineInReach) {
            console.log(`\n(no engine in reach for the ${table} table: run npm run bench, which brings one up)`);
            continue;
        }
        await TABLES[table]();
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
