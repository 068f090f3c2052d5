// The entry point the engine runs (Pulumi.yaml `main`). Users write index.ts; this loads it
// compiled ahead in dist/ (npm run build, which npm ci runs) when dist/ was compiled from exactly
// the sources here, so no TypeScript compiler starts on any preview or update. When the sources
// have changed since (or nothing was built) it runs index.ts itself through ts-node, as
// `runtime.options.typescript` would, and warns: slower, never different.
//
// ROLLOUT_STACKS_PROGRAM=sources runs the sources even when the build is current (the bench
// measures both ways); any other value but unset or `compiled` is refused.
"use strict";
const pulumi = require("@pulumi/pulumi");
const path = require("node:path");
const { programMode, staleReason } = require("./scripts/lib/compiledBuild");

const mode = programMode(process.env);

function runSources() {
    require("ts-node").register({ project: path.join(__dirname, "tsconfig.json"), transpileOnly: true });
    return require("./index.ts");
}

function run() {
    if (mode === "sources") {
        return runSources();
    }
    const stale = staleReason(__dirname);
    if (stale === undefined) {
        return require("./dist/index.js");
    }
    pulumi.log.warn(`${stale}: running index.ts through ts-node (1 to 2 s slower per run); npm run build compiles it ahead again`);
    return runSources();
}

module.exports = run();
