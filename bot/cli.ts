import { defaultContext } from "./context";
import { EXIT, ExitCode, reportFailure } from "./errors";
import { Output, TextSink } from "./output";
import { parseInvocation } from "./program";

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
        const invocation = parseInvocation(argv);
        if (invocation.kind === "help") {
            io.stdout.write(`${invocation.text}\n`);
            return EXIT.ok;
        }
        await invocation.run(defaultContext(out, io.env));
        return EXIT.ok;
    } catch (error) {
        const report = reportFailure(error);
        out.error(report.message);
        if (out.json) {
            io.stdout.write(`${JSON.stringify({ error: report.message.replace(/^error: /, ""), exitCode: report.exitCode, ...report.details }, null, 2)}\n`);
        }
        return report.exitCode;
    }
}

if (require.main === module) {
    void main().then((code) => {
        process.exitCode = code;
    });
}
