/**
 * One measurement: evaluates the real program on Pulumi's mocks for a PR stack of N services and
 * prints one JSON line. Run in its own process so peak memory belongs to this size alone.
 */
import { runProgram } from "../test/support/program";

async function main(): Promise<void> {
    const size = Number(process.argv[2]);
    if (!Number.isInteger(size) || size < 1) {
        throw new Error(`usage: prStackOnMocks.ts <services>, got ${process.argv[2]}`);
    }
    const services = Array.from({ length: size }, (_, i) => ({
        name: `svc-${String(i).padStart(4, "0")}`,
        image: `ghcr.io/pilab-hu/svc-${i}`,
        port: 8080,
    }));
    const config = {
        services,
        // One replica each, plus the surge pod of a rolling restart, which the quota must hold too.
        pr: { number: 1, quota: { requestsCpu: "1000", requestsMemory: "1Ti", limitsCpu: "1000", limitsMemory: "1Ti", pods: 2 * size } },
        deployedAt: "2025-01-15T14:30:00Z",
    };
    const start = process.hrtime.bigint();
    const run = await runProgram({ config, stack: "pr-1" });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ services: size, resources: run.resources.length, wallMs, peakRssMiB })}\n`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
