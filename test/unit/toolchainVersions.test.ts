import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../support/projectConfig";

function versionsEnv(): Record<string, string> {
    const text = fs.readFileSync(path.join(REPO_ROOT, "scripts", "versions.env"), "utf8");
    return Object.fromEntries(text.split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split("=", 2) as [string, string]));
}

function readJson(file: string): Record<string, any> {
    return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
}

function locked(pkg: string): { readonly version: string; readonly engines?: { readonly node?: string } } {
    return readJson("package-lock.json").packages[`node_modules/${pkg}`];
}

interface ActionStep { readonly uses?: string; readonly with?: Record<string, unknown> }

/** The `with:` of the bot-setup action's step that uses `action` (e.g. pulumi/actions). */
function botSetupInputs(action: string): Record<string, unknown> {
    const file = path.join(REPO_ROOT, ".github", "actions", "bot-setup", "action.yml");
    const steps = (yaml.load(fs.readFileSync(file, "utf8")) as { runs: { steps: ActionStep[] } }).runs.steps;
    const step = steps.find((s) => s.uses?.split("@")[0] === action);
    assert.ok(step?.with, `bot-setup has no step using ${action} with inputs`);
    return step.with;
}

describe("toolchain versions", () => {
    it("builds the Pulumi CLI at the @pulumi/pulumi version the lockfile pins", () => {
        assert.equal(versionsEnv().PULUMI_VERSION, locked("@pulumi/pulumi").version);
    });

    it("builds the Kubernetes provider at the @pulumi/kubernetes version the lockfile pins", () => {
        assert.equal(versionsEnv().PULUMI_KUBERNETES_VERSION, locked("@pulumi/kubernetes").version);
    });

    it("installs the Pulumi CLI of the toolchain in the workflows' bot-setup action", () => {
        assert.equal(String(botSetupInputs("pulumi/actions")["pulumi-version"]), versionsEnv().PULUMI_VERSION);
    });

    it("gives the policy pack the @pulumi/pulumi and @pulumi/policy of the program", () => {
        const policy = readJson(path.join("policy", "package.json")).dependencies;
        assert.equal(policy["@pulumi/pulumi"], versionsEnv().PULUMI_VERSION);
        assert.equal(policy["@pulumi/policy"], locked("@pulumi/policy").version);
    });

    // Node 20.19 and 22.12 are where require() of an ES module works unflagged; mocha needs it, and
    // nothing the program, the bot or the tests run needs more (docs: README, Prerequisites).
    it("declares the Node.js range its test runner supports", () => {
        assert.equal(readJson("package.json").engines.node, locked("mocha").engines?.node);
    });
});
