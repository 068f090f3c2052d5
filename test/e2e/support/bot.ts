import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "../../support/projectConfig";

/**
 * The release bot as CI and chat ops run it: `rollout-bot ... --json` as a child process, judged by
 * its exit code, the JSON document on its stdout and its progress on stderr.
 */

const BOT = path.join(REPO_ROOT, "bot", "bin.js");
/** Variables the user's shell may export that would send the bot to a real GitHub. */
const GITHUB_VARIABLES = ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"];

/** What one bot run left: its exit code, the JSON document it printed on stdout, and its progress. */
export interface BotRun {
    readonly code: number | null;
    readonly result: unknown;
    readonly stderr: string;
}

/** The --json document of a failed run (docs/release-bot.md). */
export interface Failure { readonly error: string; readonly exitCode: number }

/** Runs the bot with `env` (plus `extra`) over the caller's environment; GitHub variables of the caller's shell never leak in. */
export type BotRunner = (args: readonly string[], extra?: Record<string, string>) => Promise<BotRun>;

export function botRunner(env: Record<string, string>): BotRunner {
    return (args, extra = {}) => {
        const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
        for (const name of GITHUB_VARIABLES) {
            delete childEnv[name];
        }
        return new Promise((resolve, reject) => {
            const child = spawn(process.execPath, [BOT, ...args, "--json"], {
                cwd: REPO_ROOT, env: { ...childEnv, ...extra }, stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (chunk) => (stdout += chunk));
            child.stderr.on("data", (chunk) => (stderr += chunk));
            child.once("error", reject);
            child.once("close", (code) => {
                try {
                    resolve({ code, result: JSON.parse(stdout), stderr });
                } catch {
                    reject(new Error(`rollout-bot ${args.join(" ")} exited ${code} without a JSON document on stdout:\n${stdout}\n${stderr}`));
                }
            });
        });
    };
}

/** The result of a run that must succeed; a failure shows the bot's own output. */
export function succeeded<T>(run: BotRun): T {
    assert.equal(run.code, 0, `the bot failed:\n${run.stderr}`);
    return run.result as T;
}

/** The failure document of a run that must fail with `code`. */
export function failed(run: BotRun, code: number): Failure {
    assert.equal(run.code, code, `expected exit ${code}:\n${run.stderr}`);
    const failure = run.result as Failure;
    assert.equal(failure.exitCode, code);
    return failure;
}
