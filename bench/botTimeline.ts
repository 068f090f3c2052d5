/**
 * Where a `rollout-bot` command's time goes around the engine: every `pulumi` process it starts,
 * timed by a wrapper put first on its PATH, and what is left (Node.js, the Automation API and the
 * bot's own work).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** One `pulumi` process: its subcommand (`version`, `config set-all`, `up`, ...) and wall time. */
export interface CliProcess {
    readonly command: string;
    readonly ms: number;
}

export interface BotTimeline {
    readonly wallMs: number;
    /** In the order they started. */
    readonly processes: readonly CliProcess[];
}

/** The subcommand of a `pulumi` invocation: its words before the first flag, at most two. */
export function subcommand(args: readonly string[]): string {
    const firstFlag = args.findIndex((arg) => arg.startsWith("-"));
    return args.slice(0, Math.min(2, firstFlag === -1 ? args.length : firstFlag)).join(" ");
}

/** Reads the wrapper's log: one line per process, `<start ns> <end ns> <args...>`. */
export function readCliLog(text: string): CliProcess[] {
    return text.split("\n").filter((line) => line.trim() !== "").map((line) => {
        const [start, end, ...args] = line.trim().split(" ");
        return { start: Number(start), command: subcommand(args), ms: (Number(end) - Number(start)) / 1e6 };
    }).sort((a, b) => a.start - b.start).map(({ command, ms }) => ({ command, ms }));
}

/** Runs `node <bot> <args>` with `env`, every `pulumi` it starts timed. */
export function botTimeline(bot: string, args: readonly string[], env: NodeJS.ProcessEnv): BotTimeline {
    const dir = mkdtempSync(path.join(tmpdir(), "rollout-stacks-cli-"));
    try {
        const real = execFileSync("sh", ["-c", "command -v pulumi"], { env, encoding: "utf8" }).trim();
        const log = path.join(dir, "processes.log");
        const wrapper = path.join(dir, "pulumi");
        writeFileSync(wrapper, `#!/bin/sh\nstart=$(date +%s%N)\n"${real}" "$@"\ncode=$?\n` +
            `echo "$start $(date +%s%N) $*" >> "${log}"\nexit $code\n`);
        chmodSync(wrapper, 0o755);
        const started = process.hrtime.bigint();
        execFileSync(process.execPath, [bot, ...args], { env: { ...env, PATH: `${dir}${path.delimiter}${env.PATH ?? ""}` }, stdio: "ignore" });
        const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
        return { wallMs, processes: readCliLog(readFileSync(log, "utf8")) };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
