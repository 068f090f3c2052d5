import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../support/projectConfig";

function versionsEnv(): Record<string, string> {
    const text = fs.readFileSync(path.join(REPO_ROOT, "scripts", "versions.env"), "utf8");
    return Object.fromEntries(text.split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split("=", 2) as [string, string]));
}

function lockedVersion(pkg: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    return lock.packages[`node_modules/${pkg}`].version;
}

describe("toolchain versions", () => {
    it("builds the Pulumi CLI at the @pulumi/pulumi version the lockfile pins", () => {
        assert.equal(versionsEnv().PULUMI_VERSION, lockedVersion("@pulumi/pulumi"));
    });

    it("builds the Kubernetes provider at the @pulumi/kubernetes version the lockfile pins", () => {
        assert.equal(versionsEnv().PULUMI_KUBERNETES_VERSION, lockedVersion("@pulumi/kubernetes"));
    });
});
