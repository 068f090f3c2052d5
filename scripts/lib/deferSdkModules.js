// Loaded before anything else by the program (Pulumi.yaml `nodeargs: --require`) and by the bot
// (bot/bin.js). @pulumi/pulumi loads TypeScript and @npmcli/arborist as it starts, for the closure
// serializer (functions turned into code, as dynamic providers need) and for finding the npm
// packages such code uses. Neither the program nor the bot serializes a closure, yet the two
// modules are about 0.4 s of every start (bench/RESULTS.md). From here on, when the SDK asks for
// one of them it gets a stand-in that loads the module at its first use, so a run that never uses
// it never pays for it, and one that does gets the same module, a moment later.
//
// ROLLOUT_STACKS_DEFER_SDK_MODULES=false loads them as the SDK asks (the bench measures both ways;
// and the way back, should a later SDK use them at start-up in a way the stand-in does not serve).
"use strict";
const Module = require("node:module");
const path = require("node:path");

/** What the SDK requires at start-up but uses only to serialize closures. */
const DEFERRED = new Set(["typescript", "@npmcli/arborist"]);
const SDK_DIR = `${path.sep}${path.join("node_modules", "@pulumi", "pulumi")}${path.sep}`;

/**
 * A stand-in for the module `load()` returns, loading it at the first use. It answers the two
 * questions TypeScript's import helpers ask without loading: `__esModule` (yes, so `import * as`
 * keeps the stand-in itself) and `default` (the module, as `import x from` of CommonJS gets).
 */
function deferred(load) {
    let loaded;
    const real = () => (loaded ??= { module: load() }).module;
    return new Proxy({}, {
        get: (_, key) => key === "__esModule" ? true : key === "default" && !real().__esModule ? real() : Reflect.get(real(), key),
        has: (_, key) => key === "__esModule" || Reflect.has(real(), key),
        set: (_, key, value) => Reflect.set(real(), key, value),
        ownKeys: () => Reflect.ownKeys(real()),
        getOwnPropertyDescriptor: (_, key) => {
            const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
            // The stand-in's own target has no such key; a proxy may only report it as configurable.
            return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
        },
    });
}

/** True for a require of a deferred module made by the SDK's own code. */
function isDeferred(request, parent) {
    return DEFERRED.has(request) && typeof parent?.filename === "string" && parent.filename.includes(SDK_DIR);
}

/** Whether ROLLOUT_STACKS_DEFER_SDK_MODULES (true unless set to false) asks for deferring. */
function deferring(env) {
    const value = env.ROLLOUT_STACKS_DEFER_SDK_MODULES;
    if (value === undefined || value === "" || value === "true" || value === "false") {
        return value !== "false";
    }
    throw new Error(`ROLLOUT_STACKS_DEFER_SDK_MODULES is ${JSON.stringify(value)}: set it to false to load the SDK's TypeScript ` +
        "and npm modules at start-up, or unset it");
}

if (deferring(process.env)) {
    const load = Module._load;
    Module._load = function loadDeferringSdkModules(request, parent, isMain) {
        if (!isDeferred(request, parent)) {
            return load.apply(this, arguments);
        }
        // Resolved now, so a missing module still throws where it is required (the SDK falls back
        // to its vendored TypeScript then); only the load waits.
        Module._resolveFilename(request, parent, isMain);
        return deferred(() => load.call(this, request, parent, isMain));
    };
}

module.exports = { DEFERRED };
