import { EXIT } from "./errors";
import type { TextSink } from "./output";

/**
 * `--notify`: after `release`, `undo` or `restart`, the bot posts its one-line summary (or the
 * failure) to a Slack-compatible incoming webhook, `{"text": "..."}`. The URL is a credential, so
 * it comes from the environment (ROLLOUT_BOT_NOTIFY_URL, a CI secret), never from the command line.
 */

export const NOTIFY_URL_VARIABLE = "ROLLOUT_BOT_NOTIFY_URL";

/** How long one post may take; a slow chat service must not hold a deploy job. */
const POST_TIMEOUT_MS = 10_000;

/** The webhook URL from the environment, or why it cannot be used (exit 2, before anything runs). */
export function notifyUrl(env: NodeJS.ProcessEnv): { readonly url: string } | { readonly problem: string } {
    const text = env[NOTIFY_URL_VARIABLE]?.trim();
    if (text === undefined || text === "") {
        return { problem: `--notify needs the webhook URL in ${NOTIFY_URL_VARIABLE} (a Slack incoming webhook or any endpoint taking {"text": ...})` };
    }
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        return { problem: `${NOTIFY_URL_VARIABLE} is not a URL; set it to the webhook's https:// URL` };
    }
    const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
        return { problem: `${NOTIFY_URL_VARIABLE} must be an https:// URL (plain http only to 127.0.0.1 or localhost); it carries a credential` };
    }
    return { url: text };
}

/** The line posted for a command that failed with `exitCode`: what was run, and the error's first line. */
export function failureSummary(command: string, exitCode: number, message: string): string {
    const first = message.replace(/^error: /, "").split("\n")[0] ?? "";
    return `${command} failed (exit ${exitCode}${exitCode === EXIT.rollout ? ", the release did not finish" : ""}): ${first}`;
}

/** Posts `text`; a failure is a warning on `stderr`, never the command's outcome. */
export async function postSummary(url: string, text: string, stderr: TextSink, fetchImpl: typeof fetch = fetch): Promise<boolean> {
    try {
        const response = await fetchImpl(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ text }),
            signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        if (!response.ok) {
            stderr.write(`warning: --notify: the webhook answered HTTP ${response.status}; the summary was not posted\n`);
            return false;
        }
        return true;
    } catch (error) {
        stderr.write(`warning: --notify: could not post the summary (${(error as Error).message})\n`);
        return false;
    }
}
