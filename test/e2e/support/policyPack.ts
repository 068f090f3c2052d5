import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/projectConfig";

/** A policy pack installed outside the repository, and how to remove it. */
export interface InstalledPolicyPack {
    /** The pack's directory, for `--policy-pack`. */
    readonly dir: string;
    remove(): void;
}

/**
 * The policy pack as the PR workflows run it: `policy/` and `lib/` (the pack's imports) copied out
 * of the working tree, as the workflows' sparse checkout of the base commit lays them out, and
 * installed from the pack's own lockfile, so that nothing of the PR's node_modules is on its path.
 */
export function installPolicyPackOutsideRepo(): InstalledPolicyPack {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-stacks-base-pack-"));
    const remove = () => fs.rmSync(root, { recursive: true, force: true });
    try {
        for (const dir of ["policy", "lib"]) {
            fs.cpSync(path.join(REPO_ROOT, dir), path.join(root, dir), { recursive: true, filter: (source) => path.basename(source) !== "node_modules" });
        }
        const dir = path.join(root, "policy");
        execFileSync("npm", ["ci", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts"], { stdio: ["ignore", "ignore", "pipe"] });
        return { dir, remove };
    } catch (error) {
        remove();
        throw error;
    }
}
