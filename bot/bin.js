#!/usr/bin/env node
// The `rollout-bot` bin entry. It runs the bot compiled ahead in dist/ (npm run build, which npm ci
// runs) when dist/ was compiled from exactly the sources here (scripts/lib/compiledBuild.js), and
// the TypeScript itself through tsx otherwise, like `npm run bot`: slower to start, never different.
"use strict";
const path = require("node:path");
const { staleReason } = require("../scripts/lib/compiledBuild");

function cli() {
    const root = path.join(__dirname, "..");
    if (staleReason(root) === undefined) {
        return require("../dist/bot/cli.js");
    }
    require("tsx/cjs");
    return require("./cli.ts");
}

cli().main().then((code) => {
    process.exitCode = code;
});
