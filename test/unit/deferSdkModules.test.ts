import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "../support/projectConfig";

/**
 * Runs `script` in a Node.js of its own (this one has loaded everything by now), started as the
 * program is (`--require` of the stand-in) unless `preload` is false, and returns what it prints as JSON.
 */
function inFreshNode(script: string, { preload = true, defer }: { preload?: boolean; defer?: string } = {}): unknown {
    const args = [...(preload ? ["--require", "./scripts/lib/deferSdkModules.js"] : []), "-e", script];
    const env = { ...process.env, ROLLOUT_STACKS_DEFER_SDK_MODULES: defer };
    if (defer === undefined) {
        delete env.ROLLOUT_STACKS_DEFER_SDK_MODULES;
    }
    // stderr kept from the test output: the closure serializer warns about Node.js modules it looks at (sys, wasi).
    return JSON.parse(execFileSync(process.execPath, args, { cwd: REPO_ROOT, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
}

/** A script fragment: which of the deferred modules Node.js has loaded so far. */
const LOADED = "Object.keys(require.cache).filter((k) => /node_modules\\/(typescript|@npmcli\\/arborist)\\//.test(k)).map((k) => k.split('node_modules/').pop().split('/')[0].replace('@npmcli', '@npmcli/arborist'))";

describe("the SDK's TypeScript and npm modules load at first use (scripts/lib/deferSdkModules.js)", () => {
    it("are not loaded by starting the SDK and its Automation API", () => {
        const loaded = inFreshNode(`require('@pulumi/pulumi'); require('@pulumi/pulumi/automation'); console.log(JSON.stringify(${LOADED}));`);
        assert.deepEqual(loaded, []);
    });

    for (const [what, options] of [["without it", { preload: false }], ["with ROLLOUT_STACKS_DEFER_SDK_MODULES=false", { defer: "false" }]] as const) {
        it(`are loaded by the same start ${what} (what the stand-in saves)`, () => {
            const loaded = inFreshNode(`require('@pulumi/pulumi'); console.log(JSON.stringify([...new Set(${LOADED})].sort()));`, options);
            assert.deepEqual(loaded, ["@npmcli/arborist", "typescript"]);
        });
    }

    it("refuses a ROLLOUT_STACKS_DEFER_SDK_MODULES other than true or false, naming it and the fix", () => {
        assert.throws(() => inFreshNode("console.log(1)", { defer: "no" }),
            (error: { stderr: string }) => /ROLLOUT_STACKS_DEFER_SDK_MODULES is "no": set it to false .* or unset it/.test(error.stderr));
    });

    it("load when the SDK uses them: a closure serialized as without the stand-in", () => {
        const script = "const pulumi = require('@pulumi/pulumi'); const before = " + LOADED + ".length;" +
            "pulumi.runtime.serializeFunction(() => { const x = 20; return x + 22; })" +
            ".then((r) => console.log(JSON.stringify({ before, after: " + LOADED + ".includes('typescript'), text: r.text })));";
        const withStandIn = inFreshNode(script) as { before: number; after: boolean; text: string };
        const without = inFreshNode(script, { preload: false }) as { text: string };
        assert.equal(withStandIn.before, 0);
        assert.equal(withStandIn.after, true);
        assert.equal(withStandIn.text, without.text);
    });

    it("answers TypeScript's import helpers as the module would: import * as and import default", () => {
        const script = "const { createRequire } = require('module');" +
            "const fromSdk = createRequire(require.resolve('@pulumi/pulumi/runtime/closure/codePaths.js'));" +
            "const standIn = fromSdk('@npmcli/arborist'); const real = require('@npmcli/arborist');" +
            "const star = (m) => m && m.__esModule ? m : { ...m, default: m };" +
            "console.log(JSON.stringify({ same: standIn !== real, star: star(standIn).Arborist === real.Arborist," +
            " def: standIn.default === real, keys: Object.keys(standIn).join() === Object.keys(real).join() }));";
        assert.deepEqual(inFreshNode(script), { same: true, star: true, def: true, keys: true });
    });

    it("still fails where required when the module is missing, so the SDK falls back as before", () => {
        const script = "require('./scripts/lib/deferSdkModules.js').DEFERRED.add('no-such-module-here');" +
            "const { createRequire } = require('module');" +
            "const fromSdk = createRequire(require.resolve('@pulumi/pulumi/index.js'));" +
            "try { fromSdk('no-such-module-here'); console.log('\"loaded\"'); } catch (e) { console.log(JSON.stringify(e.code)); }";
        assert.equal(inFreshNode(script), "MODULE_NOT_FOUND");
    });
});
