import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { CheckoutLockedError, withCheckoutLock } from "../../bot/checkoutLock";
import { EXIT } from "../../bot/errors";

/** The two things the lock reads of a stack: its name and the checkout it lives in. */
function fakeStack(workDir: string, name = "pr-7"): Stack {
    return { name, workspace: { workDir } } as unknown as Stack;
}

function lockPath(workDir: string, name = "pr-7"): string {
    return path.join(workDir, ".pulumi", "rollout-bot", `${name}.lock`);
}

function writeLock(workDir: string, holder: { pid: number; host: string }): void {
    fs.mkdirSync(path.dirname(lockPath(workDir)), { recursive: true });
    fs.writeFileSync(lockPath(workDir), JSON.stringify({ ...holder, since: "2025-01-15T14:30:00.000Z" }));
}

describe("bot checkout lock", () => {
    let workDir: string;
    beforeEach(() => {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bot-lock-"));
    });
    afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

    it("holds the lock while the command runs and releases it after, also when the command fails", async () => {
        const seen = await withCheckoutLock(fakeStack(workDir), async () => fs.existsSync(lockPath(workDir)));
        assert.equal(seen, true);
        assert.equal(fs.existsSync(lockPath(workDir)), false);
        await assert.rejects(withCheckoutLock(fakeStack(workDir), async () => {
            throw new Error("engine failed");
        }), /engine failed/);
        assert.equal(fs.existsSync(lockPath(workDir)), false);
    });

    it("refuses a second command on the same stack with exit 5, naming the holder", async () => {
        await withCheckoutLock(fakeStack(workDir), async () => {
            await assert.rejects(withCheckoutLock(fakeStack(workDir), async () => "ran"), (error: unknown) =>
                error instanceof CheckoutLockedError && error.exitCode === EXIT.concurrentUpdate &&
                error.message.includes(`pid ${process.pid}`) && error.message.includes("--wait-lock"));
        });
    });

    it("lets commands on different stacks run at once", async () => {
        const inner = await withCheckoutLock(fakeStack(workDir, "pr-7"), () => withCheckoutLock(fakeStack(workDir, "pr-8"), async () => "both"));
        assert.equal(inner, "both");
    });

    it("takes over the lock of a bot that died on this host", async () => {
        const dead = spawnSync(process.execPath, ["-e", ""]).pid;
        writeLock(workDir, { pid: dead, host: os.hostname() });
        assert.equal(await withCheckoutLock(fakeStack(workDir), async () => "ran"), "ran");
    });

    it("never takes over a lock held from another host, whose processes it cannot see", async () => {
        const deadHere = spawnSync(process.execPath, ["-e", ""]).pid;
        writeLock(workDir, { pid: deadHere, host: `not-${os.hostname()}` });
        await assert.rejects(withCheckoutLock(fakeStack(workDir), async () => "ran"), CheckoutLockedError);
        assert.equal(fs.existsSync(lockPath(workDir)), true);
    });
});
