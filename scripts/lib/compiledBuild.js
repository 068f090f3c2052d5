// The compiled build in dist/ and the sources it was compiled from. `npm run build` (scripts/build.js,
// run by `npm ci` as the package's prepare script) compiles index.ts and the bot ahead and records
// a digest of every source file the compiler read; the entry points (program.js, bot/bin.js) run the
// compiled code only when every recorded source still has that digest, so what runs is always what
// the sources say.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const DIST = path.join(ROOT, "dist");
const MANIFEST = path.join(DIST, "sources.json");
/** Read by the compiler beside the sources: a change to either changes what it emits. */
const COMPILER_CONFIGS = ["tsconfig.json", "tsconfig.build.json"];

function digest(file) {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Records the sources (paths relative to root) a build was compiled from. */
function writeManifest(root, sources) {
    const files = {};
    for (const source of [...new Set([...COMPILER_CONFIGS, ...sources])].sort()) {
        files[source] = digest(path.join(root, source));
    }
    fs.writeFileSync(path.join(root, "dist", "sources.json"), `${JSON.stringify({ files }, null, 2)}\n`);
}

/**
 * Why the build in root/dist cannot run for these sources, or undefined when it can: not built, or
 * built from a source that has since changed or gone (the first one found is named).
 */
function staleReason(root) {
    let manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(path.join(root, "dist", "sources.json"), "utf8"));
    } catch (error) {
        if (error.code === "ENOENT") {
            return "dist/ has no compiled build";
        }
        return `dist/sources.json is unreadable (${error.message})`;
    }
    for (const [source, recorded] of Object.entries(manifest.files ?? {})) {
        let current;
        try {
            current = digest(path.join(root, source));
        } catch (error) {
            if (error.code === "ENOENT") {
                return `${source} was compiled into dist/ and is gone`;
            }
            throw error;
        }
        if (current !== recorded) {
            return `${source} changed since dist/ was compiled`;
        }
    }
    return undefined;
}

/**
 * How the entry points run the TypeScript, from ROLLOUT_STACKS_PROGRAM: "compiled" (the default:
 * dist/ when it is current) or "sources" (the TypeScript itself, even when it is). Any other value
 * is refused, naming it and the fix.
 */
function programMode(env) {
    const mode = env.ROLLOUT_STACKS_PROGRAM || "compiled";
    if (mode !== "compiled" && mode !== "sources") {
        throw new Error(`ROLLOUT_STACKS_PROGRAM=${mode} is not a way to run the program: set compiled (the default) or sources, or unset it`);
    }
    return mode;
}

module.exports = { COMPILER_CONFIGS, DIST, MANIFEST, ROOT, programMode, staleReason, writeManifest };
