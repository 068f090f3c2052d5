#!/usr/bin/env node
// The `rollout-bot` bin entry: the bot is TypeScript run through tsx, like `npm run bot`.
require("tsx/cjs");
require("./cli.ts").main().then((code) => {
    process.exitCode = code;
});
