/**
 * `npm run bench`: how the program's cost grows with the size of a PR stack, evaluated on mocks.
 * Each size runs in a fresh process (median of several runs); ratios are against the smallest size.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const SIZES = [4, 40, 400];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

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

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function main(): void {
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
    console.log("| services | resources | wall ms | peak RSS MiB | resources ratio | wall ratio | memory ratio |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|");
    for (const row of rows) {
        console.log(`| ${row.services} | ${row.resources} | ${row.wallMs.toFixed(0)} | ${row.peakRssMiB.toFixed(0)} | ` +
            `${(row.resources / base.resources).toFixed(1)}x | ${(row.wallMs / base.wallMs).toFixed(1)}x | ${(row.peakRssMiB / base.peakRssMiB).toFixed(1)}x |`);
    }
}

main();
