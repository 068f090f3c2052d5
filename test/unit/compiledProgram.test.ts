import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ProgramRun, RunOptions, runProgram } from "../support/program";
import { REPO_ROOT, ungatedStackFileConfig } from "../support/projectConfig";

// Plain JavaScript shared by the entry points (program.js, bot/bin.js) and the build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { staleReason, writeManifest } = require("../../scripts/lib/compiledBuild") as {
    staleReason(root: string): string | undefined;
    writeManifest(root: string, sources: readonly string[]): void;
};

/** What a run declares, in a form two runs can be compared by: every resource and the outputs. */
function declared(run: ProgramRun): unknown {
    return {
        resources: run.resources.map(({ type, name, inputs, parent, deletedWith }) => ({ type, name, inputs, parent, deletedWith })),
        reads: run.reads.map(({ type, name, inputs }) => ({ type, name, inputs })),
        outputs: run.outputs,
    };
}

describe("the program compiled ahead (dist/, npm run build)", () => {
    it("was compiled from exactly these sources (npm test builds it first)", () => {
        assert.equal(staleReason(REPO_ROOT), undefined, "run npm run build");
    });

    const deployedAt = "2025-01-15T14:30:00Z";
    /** A long-lived stack as its stack file sets it up, with the Grafana password the CLI would hand over as a secret. */
    function longLived(stack: "dev" | "prod"): RunOptions {
        const file = ungatedStackFileConfig(stack);
        const platform = file.platform as { monitoring?: object };
        return {
            stack,
            config: { ...file, deployedAt, platform: { ...platform, monitoring: { ...platform.monitoring, grafanaAdminPassword: "correct-horse-battery" } } },
            secretKeys: ["platform"],
        };
    }
    const stacks: Record<string, RunOptions> = {
        "a PR stack of the whole catalogue": { stack: "pr-123", config: { pr: { number: 123 }, deployedAt } },
        "dev: its platform and blue/green environment": longLived("dev"),
        "prod: its platform and canary environment with analysis": longLived("prod"),
    };
    for (const [what, options] of Object.entries(stacks)) {
        it(`declares what index.ts declares: ${what}`, async () => {
            const sources = await runProgram({ ...options, program: "sources" });
            const compiled = await runProgram({ ...options, program: "compiled" });
            assert.ok(sources.resources.length > 10, `the run declares the stack (${sources.resources.length} resources)`);
            assert.deepEqual(declared(compiled), declared(sources));
        });
    }

    it("loads no long-lived stack's composition on a PR stack's path (stacks/index.js requires them when used)", () => {
        // A process of its own: this one has loaded everything by now.
        const script = "require('./dist/stacks/index.js');" +
            "const dist = require('path').join(process.cwd(), 'dist') + '/';" +
            "console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.startsWith(dist)).map((k) => k.slice(dist.length))));";
        const loaded = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" })) as string[];
        assert.ok(loaded.includes("components/prEnvironment.js"), `the PR composition is loaded: ${loaded.join(" ")}`);
        const longLived = /^(stacks\/(environment|platform|promotionGate)|components\/(progressive|argo|monitoring|certManager|analysisTemplates|rolloutNotifications)|bot\/)/;
        assert.deepEqual(loaded.filter((file) => longLived.test(file)), []);
    });
});

describe("staleReason: whether a build in dist/ may run for the sources beside it", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "compiled-build-"));
        for (const file of ["tsconfig.json", "tsconfig.build.json", "index.ts", "lib/a.ts"]) {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), `// ${file}\n`);
        }
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    function build(): void {
        fs.mkdirSync(path.join(root, "dist"));
        writeManifest(root, ["index.ts", "lib/a.ts"]);
    }

    it("may run a build of exactly the sources there", () => {
        build();
        assert.equal(staleReason(root), undefined);
    });

    it("refuses when nothing was built", () => {
        assert.equal(staleReason(root), "dist/ has no compiled build");
    });

    it("names a source changed since the build", () => {
        build();
        fs.appendFileSync(path.join(root, "lib/a.ts"), "export const changed = true;\n");
        assert.equal(staleReason(root), "lib/a.ts changed since dist/ was compiled");
    });

    it("names a source removed since the build", () => {
        build();
        fs.rmSync(path.join(root, "lib/a.ts"));
        assert.equal(staleReason(root), "lib/a.ts was compiled into dist/ and is gone");
    });

    it("counts the compiler's configuration as a source", () => {
        build();
        fs.writeFileSync(path.join(root, "tsconfig.json"), "{}\n");
        assert.equal(staleReason(root), "tsconfig.json changed since dist/ was compiled");
    });

    it("refuses a manifest it cannot read, saying so", () => {
        build();
        fs.writeFileSync(path.join(root, "dist", "sources.json"), "{ not json");
        assert.match(staleReason(root) ?? "", /^dist\/sources.json is unreadable \(/);
    });
});

describe("program.js, the engine's entry point", () => {
    it("refuses a ROLLOUT_STACKS_PROGRAM it does not know, naming the value and the fix", () => {
        const env = { ...process.env, ROLLOUT_STACKS_PROGRAM: "fast" };
        assert.throws(
            () => execFileSync(process.execPath, [path.join(REPO_ROOT, "program.js")], { env, stdio: "pipe" }),
            (error: { stderr: Buffer }) => {
                assert.match(String(error.stderr), /ROLLOUT_STACKS_PROGRAM=fast is not a way to run the program: set compiled \(the default\) or sources, or unset it/);
                return true;
            },
        );
    });
});
