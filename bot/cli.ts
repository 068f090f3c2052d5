import { defaultContext } from "./context";
import { EXIT, ExitCode, reportFailure, UsageError } from "./errors";
import { failureSummary, NOTIFY_URL_VARIABLE, notifyUrl, postSummary } from "./notify";
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
    // Where --notify posts, checked before anything runs; and what to call the command there.
    let notify: { readonly url: string; readonly command: string } | undefined;
    try {
        const invocation = parseInvocation(argv);
        if (invocation.kind === "help") {
            io.stdout.write(`${invocation.text}\n`);
            return EXIT.ok;
        }
        if ("notify" in invocation.command && invocation.command.notify === true) {
            const target = notifyUrl(io.env);
            if ("problem" in target) {
                throw new UsageError(target.problem, `usage: rollout-bot ${invocation.command.kind} ... --notify  (with ${NOTIFY_URL_VARIABLE} set)`);
            }
            notify = { url: target.url, command: `rollout-bot ${invocation.command.kind} ${"stack" in invocation.command ? invocation.command.stack : ""}`.trimEnd() };
        }
        await invocation.run(defaultContext(out, io.env));
        if (notify !== undefined && out.summary !== undefined) {
            await postSummary(notify.url, out.summary, io.stderr);
        }
        return EXIT.ok;
    } catch (error) {
        const report = reportFailure(error);
        out.error(report.message);
        if (out.json) {
            io.stdout.write(`${JSON.stringify({ error: report.message.replace(/^error: /, ""), exitCode: report.exitCode, ...report.details }, null, 2)}\n`);
        }
        if (notify !== undefined) {
            await postSummary(notify.url, failureSummary(notify.command, report.exitCode, report.message), io.stderr);
        }
        return report.exitCode;
    }
}

if (require.main === module) {
    void main().then((code) => {
        process.exitCode = code;
    });
}
