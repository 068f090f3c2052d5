// npm run build (and npm ci, as the prepare script): compiles the program (index.ts) and the
// release bot (bot/cli.ts) ahead into dist/ with tsc -p tsconfig.build.json, type-checking them,
// and records the sources the compiler read in dist/sources.json (scripts/lib/compiledBuild.js).
// The engine then starts the program without compiling TypeScript (program.js).
//
// With --if-stale it compiles only when dist/ was not compiled from exactly the sources here
// (npm test, and the scripts that start the engine: e2e, bench, local).
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { DIST, ROOT, staleReason, writeManifest } = require("./lib/compiledBuild");

function main(args) {
    const unknown = args.filter((arg) => arg !== "--if-stale");
    if (unknown.length > 0) {
        console.error(`npm run build: unknown argument ${unknown[0]}; the only option is --if-stale`);
        return 2;
    }
    if (args.includes("--if-stale")) {
        const stale = staleReason(ROOT);
        if (stale === undefined) {
            return 0;
        }
        console.log(`npm run build: ${stale}`);
    }
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    // A clean output: nothing left from a source that was renamed or removed.
    fs.rmSync(DIST, { recursive: true, force: true });
    let listed;
    try {
        listed = execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--listFiles"], { cwd: ROOT, encoding: "utf8" });
    } catch (error) {
        // tsc prints its diagnostics on stdout, after the files it read (absolute paths, left out);
        // nothing half-built stays behind.
        const diagnostics = String(error.stdout ?? "").split("\n").filter((line) => !path.isAbsolute(line));
        process.stderr.write(`${diagnostics.join("\n")}\n`);
        fs.rmSync(DIST, { recursive: true, force: true });
        console.error("npm run build: tsc -p tsconfig.build.json failed; fix the errors above and run it again");
        return 1;
    }
    const sources = listed
        .split("\n")
        .filter((line) => line !== "")
        .map((file) => path.relative(ROOT, file))
        .filter((file) => !file.startsWith("..") && !file.split(path.sep).includes("node_modules"));
    writeManifest(ROOT, sources);
    console.log(`npm run build: ${sources.length} sources compiled into dist/`);
    return 0;
}

process.exitCode = main(process.argv.slice(2));
