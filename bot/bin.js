#!/usr/bin/env node
// The `rollout-bot` bin entry. It runs the bot compiled ahead in dist/ (npm run build, which npm ci
// runs) when dist/ was compiled from exactly the sources here (scripts/lib/compiledBuild.js), and
// the TypeScript itself through tsx otherwise: slower to start, never different.
// ROLLOUT_STACKS_PROGRAM=sources runs the TypeScript even when the build is current, as it does
// for the program (program.js) the bot's updates run.
"use strict";
// First of all: the SDK's TypeScript and npm modules load only if used (0.4 s of every start).
require("../scripts/lib/deferSdkModules");
const path = require("node:path");
const { programMode, staleReason } = require("../scripts/lib/compiledBuild");

function cli() {
    const root = path.join(__dirname, "..");
    if (programMode(process.env) === "compiled" && staleReason(root) === undefined) {
        return require("../dist/bot/cli.js");
    }
    require("tsx/cjs");
    return require("./cli.ts");
}

cli().main().then((code) => {
    process.exitCode = code;
});
