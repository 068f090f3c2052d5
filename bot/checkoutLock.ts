import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { BotError, EXIT } from "./errors";

/**
 * One bot command at a time per stack settings file. The bot writes a stack's config into the
 * checkout's `Pulumi.<stack>.yaml` before `pulumi up` takes the engine's lock, and puts it back when
 * the engine refuses; two bot commands in one checkout would run with each other's values and put
 * back each other's writes (the loser of the engine's lock removed the `deployedAt` the winner had
 * just deployed). So the whole sequence, from reading the config to putting it back, holds this
 * lock: a file created exclusively under the checkout's `.pulumi/`, naming its holder. A lock whose
 * process is gone (a bot killed by Ctrl-C) is taken over.
 */

interface Holder {
    readonly pid: number;
    readonly host: string;
    readonly since: string;
}

/** Another bot command in this checkout holds the stack's settings file; nothing was changed. */
export class CheckoutLockedError extends BotError {
    constructor(file: string, holder: Holder | undefined) {
        const who = holder === undefined ? "another rollout-bot command" : `rollout-bot pid ${holder.pid} on ${holder.host} since ${holder.since}`;
        super("another update is running on this stack, so nothing was changed. Run the command again when it has finished, " +
            `or pass --wait-lock [duration] to wait for it.\n  ${file}: held by ${who}`, EXIT.concurrentUpdate);
        this.name = "CheckoutLockedError";
    }
}

function lockFile(stack: Stack): string {
    const settingsName = stack.name.split("/").pop() ?? stack.name;
    return path.join(stack.workspace.workDir, ".pulumi", "rollout-bot", `${settingsName}.lock`);
}

function tryCreate(file: string): boolean {
    const holder: Holder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    try {
        fs.writeFileSync(file, JSON.stringify(holder), { flag: "wx" });
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
            return false;
        }
        throw error;
    }
}

/** The lock's holder; undefined while its holder is still writing it; "released" when it is gone. */
function readHolder(file: string): Holder | undefined | "released" {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            return "released";
        }
        throw error;
    }
    try {
        return JSON.parse(text) as Holder;
    } catch {
        return undefined;
    }
}

function processGone(holder: Holder): boolean {
    if (holder.host !== os.hostname()) {
        return false;
    }
    try {
        process.kill(holder.pid, 0);
        return false;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
}

/** Runs `body` holding the stack's checkout lock; throws {@link CheckoutLockedError} at once when another command holds it. */
export async function withCheckoutLock<T>(stack: Stack, body: () => Promise<T>): Promise<T> {
    const file = lockFile(stack);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    while (!tryCreate(file)) {
        const holder = readHolder(file);
        if (holder === "released") {
            continue;
        }
        if (holder === undefined || !processGone(holder)) {
            throw new CheckoutLockedError(file, holder);
        }
        fs.rmSync(file, { force: true });
    }
    try {
        return await body();
    } finally {
        fs.rmSync(file, { force: true });
    }
}
