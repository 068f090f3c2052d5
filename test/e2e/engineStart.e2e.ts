import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineEnv, withStack } from "./support/engine";

/** What each Node.js process the engine starts reports about itself at exit (a `--require` of the probe). */
interface ProbeReport {
    readonly argv: readonly string[];
    readonly execArgv: readonly string[];
    readonly typescriptEnv: string | null;
    readonly loaded: readonly string[];
}

const PROBE = `
const fs = require("node:fs");
process.on("exit", () => {
    const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(typescript|@npmcli\\/arborist)\\//.test(k))
        .map((k) => k.includes("typescript") ? "typescript" : "@npmcli/arborist");
    fs.appendFileSync(process.env.ENGINE_START_PROBE_OUT, JSON.stringify({
        argv: process.argv, execArgv: process.execArgv, typescriptEnv: process.env.PULUMI_NODEJS_TYPESCRIPT ?? null, loaded: [...new Set(loaded)],
    }) + "\\n");
});
`;

/**
 * How the engine starts the program (README, "How the engine starts the program"): Pulumi.yaml's
 * runtime options reach the language host (no ts-node for the compiled program; nodeargs preload
 * the stand-in for the SDK's TypeScript and npm modules), and no run loads those modules.
 */
describe("the engine starts the program as Pulumi.yaml says", () => {
    it("without ts-node, with nodeargs, and without loading the SDK's TypeScript or npm modules", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-stacks-probe-"));
        try {
            const probe = path.join(dir, "probe.js");
            const out = path.join(dir, "reports.jsonl");
            fs.writeFileSync(probe, PROBE);
            const env = { ...engineEnv(), NODE_OPTIONS: `--require ${probe}`, ENGINE_START_PROBE_OUT: out, ROLLOUT_STACKS_DEFER_SDK_MODULES: "" };
            await withStack("pr-907", { pr: { number: 907, services: ["cart-service"] } }, (stack) => stack.preview(), env);
            const reports = fs.readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as ProbeReport);
            const programs = reports.filter((report) => report.argv.some((arg) => arg.endsWith(path.join("cmd", "run", "index.js"))));
            // One preview, and the destroy withStack cleans up with.
            assert.ok(programs.length >= 1, `a program run reported (${reports.length} Node.js processes did)`);
            for (const program of programs) {
                assert.equal(program.typescriptEnv, null, "typescript: false reaches the language host: no ts-node for program.js");
                assert.deepEqual(program.execArgv, ["--require", "./scripts/lib/deferSdkModules.js"], "nodeargs reach node");
                assert.deepEqual(program.loaded, [], "the SDK's TypeScript and npm modules stay unloaded");
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
