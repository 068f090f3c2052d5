import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../bot/cli";
import { EXIT } from "../../bot/errors";
import { failureSummary, notifyUrl, postSummary } from "../../bot/notify";
import { WebhookReceiver } from "../e2e/support/webhookReceiver";

function capture(env: NodeJS.ProcessEnv) {
    const io = { out: "", err: "" };
    return { io, streams: { stdout: { write: (text: string) => { io.out += text; } }, stderr: { write: (text: string) => { io.err += text; } }, env } };
}

describe("bot --notify", () => {
    let receiver: WebhookReceiver;
    before(async () => {
        receiver = await WebhookReceiver.start();
    });
    after(() => receiver.stop());

    it("takes the webhook URL from ROLLOUT_BOT_NOTIFY_URL: https, or http on the loopback address", () => {
        assert.deepEqual(notifyUrl({ ROLLOUT_BOT_NOTIFY_URL: "https://hooks.slack.com/services/T0/B0/x" }), { url: "https://hooks.slack.com/services/T0/B0/x" });
        assert.deepEqual(notifyUrl({ ROLLOUT_BOT_NOTIFY_URL: "http://127.0.0.1:9000/hook" }), { url: "http://127.0.0.1:9000/hook" });
        assert.match((notifyUrl({}) as { problem: string }).problem, /--notify needs the webhook URL in ROLLOUT_BOT_NOTIFY_URL/);
        assert.match((notifyUrl({ ROLLOUT_BOT_NOTIFY_URL: "http://hooks.example.com/x" }) as { problem: string }).problem, /must be an https:\/\/ URL/);
        assert.match((notifyUrl({ ROLLOUT_BOT_NOTIFY_URL: "not a url" }) as { problem: string }).problem, /is not a URL/);
    });

    it("posts the summary as Slack's {text}, and only warns when the webhook refuses it", async () => {
        const err = { text: "", write(line: string) { this.text += line; } };
        assert.equal(await postSummary(receiver.url, "released cart-service=ghcr.io/pilab-hu/cart-service:v2 to prod", err), true);
        const last = receiver.requests.at(-1)!;
        assert.deepEqual([last.method, last.headers["content-type"], last.json], ["POST", "application/json", { text: "released cart-service=ghcr.io/pilab-hu/cart-service:v2 to prod" }]);
        assert.equal(await postSummary("http://127.0.0.1:9/closed", "x", err), false);
        assert.match(err.text, /^warning: --notify: could not post the summary/);
    });

    it("says what failed and how, in one line", () => {
        assert.equal(failureSummary("rollout-bot release prod", EXIT.rollout, "error: cart-service is Degraded (aborted): analysis x Failed\nmore"),
            "rollout-bot release prod failed (exit 6, the release did not finish): cart-service is Degraded (aborted): analysis x Failed");
    });

    it("refuses --notify without a usable URL before anything runs (exit 2)", async () => {
        const { io, streams } = capture({});
        assert.equal(await main(["restart", "prod", "--notify"], streams), EXIT.usage);
        assert.match(io.err, /--notify needs the webhook URL in ROLLOUT_BOT_NOTIFY_URL/);
    });

    it("posts the failure of a command that failed", async () => {
        const before = receiver.requests.length;
        const backend = `file://${path.join(os.tmpdir(), "rollout-bot-notify-test")}`;
        // A self-managed backend without a passphrase fails before the engine runs (exit 2).
        const { streams } = capture({ ROLLOUT_BOT_NOTIFY_URL: receiver.url, PULUMI_BACKEND_URL: backend, PATH: process.env.PATH });
        const code = await main(["restart", "prod", "--notify"], streams);
        assert.equal(code, EXIT.usage);
        assert.equal(receiver.requests.length, before + 1);
        assert.match((receiver.requests.at(-1)!.json as { text: string }).text, /^rollout-bot restart prod failed \(exit 2\): /);
    });
});
