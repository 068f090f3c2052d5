import { Command, parseCommand } from "./args";
import { prSetActive } from "./commands/prActive";
import { prDown } from "./commands/prDown";
import { prPreview } from "./commands/prPreview";
import { prReap } from "./commands/prReap";
import { prUp } from "./commands/prUp";
import { release } from "./commands/release";
import { restart } from "./commands/restart";
import { rolloutAction } from "./commands/rolloutAction";
import { status } from "./commands/status";
import { undo } from "./commands/undo";
import { BotContext, defaultContext } from "./context";
import { EXIT, ExitCode, reportFailure } from "./errors";
import { Output, TextSink } from "./output";

/** Runs one parsed command. */
export async function run(command: Exclude<Command, { kind: "help" }>, ctx: BotContext): Promise<void> {
    switch (command.kind) {
        case "pr up":
            return prUp(command, ctx);
        case "pr preview":
            return prPreview(command, ctx);
        case "pr down":
            return prDown(command, ctx);
        case "pr pause":
        case "pr resume":
            return prSetActive(command, ctx);
        case "pr reap":
            return prReap(command, ctx);
        case "restart":
            return restart(command, ctx);
        case "release":
            return release(command, ctx);
        case "status":
            return status(command, ctx);
        case "promote":
        case "abort":
        case "retry":
            return rolloutAction(command, ctx);
        case "undo":
            return undo(command, ctx);
    }
}

export interface Io {
    readonly stdout: TextSink;
    readonly stderr: TextSink;
    readonly env: NodeJS.ProcessEnv;
}

/**
 * The bot's entry point: parses `argv`, runs the command, and returns the exit code (docs/release-bot.md).
 * Failures go to stderr; with --json a failure is also a JSON document on stdout, so a caller that
 * parses stdout always gets one.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), io: Io = process): Promise<ExitCode> {
    const out = new Output(io.stdout, io.stderr, argv.includes("--json"));
    try {
        const command = parseCommand(argv);
        if (command.kind === "help") {
            io.stdout.write(`${command.text}\n`);
            return EXIT.ok;
        }
        await run(command, defaultContext(out, io.env));
        return EXIT.ok;
    } catch (error) {
        const report = reportFailure(error);
        out.error(report.message);
        if (out.json) {
            io.stdout.write(`${JSON.stringify({ error: report.message.replace(/^error: /, ""), exitCode: report.exitCode }, null, 2)}\n`);
        }
        return report.exitCode;
    }
}

if (require.main === module) {
    void main().then((code) => {
        process.exitCode = code;
    });
}
