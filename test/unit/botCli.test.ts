import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { main } from "../../bot/cli";
import { downFailure } from "../../bot/commands/prDown";
import { reportFailure } from "../../bot/errors";
import { Output } from "../../bot/output";
import { botSettings, secretsProblem } from "../../bot/workspace";

function capture(env: NodeJS.ProcessEnv = {}) {
    const io = { out: "", err: "" };
    return {
        io,
        streams: { stdout: { write: (text: string) => { io.out += text; } }, stderr: { write: (text: string) => { io.err += text; } }, env },
    };
}

describe("bot CLI", () => {
    it("prints help on stdout and exits 0", async () => {
        const { io, streams } = capture();
        assert.equal(await main(["pr", "down", "--help"], streams), 0);
        assert.match(io.out, /^usage: rollout-bot pr down <n>/);
        assert.equal(io.err, "");
    });

    it("prints the overview and a group's help on stdout and exits 0", async () => {
        for (const [argv, first] of [[["--help"], /^usage: rollout-bot <command>/], [["pr", "--help"], /^usage: rollout-bot pr <command>/]] as const) {
            const { io, streams } = capture();
            assert.equal(await main(argv, streams), 0);
            assert.match(io.out, first);
            assert.equal(io.err, "");
        }
    });

    it("leaves the process's own streams and exit code alone", async () => {
        const written: string[] = [];
        const real = { out: process.stdout.write, err: process.stderr.write, exitCode: process.exitCode };
        process.stdout.write = process.stderr.write = ((text: string) => written.push(text) > 0) as typeof process.stdout.write;
        try {
            for (const argv of [["--help"], ["pr"], ["pr", "up", "12"], ["deploy"], ["restart", "dev", "--force", "--json"]]) {
                await main(argv, capture().streams);
            }
        } finally {
            process.stdout.write = real.out;
            process.stderr.write = real.err;
        }
        assert.deepEqual(written, []);
        assert.equal(process.exitCode, real.exitCode);
    });

    it("exits 2 on bad usage with the error and usage on stderr, nothing on stdout", async () => {
        const { io, streams } = capture();
        assert.equal(await main(["pr", "up", "12"], streams), 2);
        assert.match(io.err, /^error: pr up: missing --image-tag\n\nusage: rollout-bot pr up <n>/);
        assert.equal(io.out, "");
    });

    it("with --json also puts the failure on stdout as one JSON document", async () => {
        const { io, streams } = capture();
        assert.equal(await main(["restart", "bad name", "--json"], streams), 2);
        const document = JSON.parse(io.out);
        assert.equal(document.exitCode, 2);
        assert.match(document.error, /^restart: <stack> must be a stack name/);
    });

    it("refuses to start on a passphrase backend without a passphrase, before touching anything", async () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bot-"));
        try {
            const { io, streams } = capture({ HOME: home });
            assert.equal(await main(["restart", "dev"], streams), 2);
            assert.match(io.err, /keeps secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE/);
            assert.deepEqual(fs.readdirSync(home), [], "nothing may be created before the settings are complete");
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });

    describe("settings from the environment", () => {
        it("defaults to a file backend under the cache directory", () => {
            assert.equal(botSettings({ HOME: "/home/ci" }).backendUrl, "file:///home/ci/.cache/rollout-stacks/state");
            assert.equal(botSettings({ HOME: "/home/ci", ROLLOUT_STACKS_CACHE: "/var/cache/rs" }).backendUrl, "file:///var/cache/rs/state");
            assert.equal(botSettings({ PULUMI_BACKEND_URL: "s3://state-bucket" }).backendUrl, "s3://state-bucket");
        });

        it("needs a passphrase only for passphrase-encrypted, self-managed backends", () => {
            assert.notEqual(secretsProblem(botSettings({ HOME: "/home/ci" })), undefined);
            assert.notEqual(secretsProblem(botSettings({ HOME: "/home/ci", ROLLOUT_BOT_SECRETS_PROVIDER: "passphrase" })), undefined);
            assert.equal(secretsProblem(botSettings({ HOME: "/home/ci", PULUMI_CONFIG_PASSPHRASE: "" })), undefined);
            assert.equal(secretsProblem(botSettings({ HOME: "/home/ci", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/p" })), undefined);
            assert.equal(secretsProblem(botSettings({ PULUMI_BACKEND_URL: "https://api.pulumi.com" })), undefined);
            assert.equal(secretsProblem(botSettings({ HOME: "/h", ROLLOUT_BOT_SECRETS_PROVIDER: "awskms://alias/x" })), undefined);
        });

        it("takes the passphrase for the CLI from the environment it was given, and nothing else of it", () => {
            assert.deepEqual(botSettings({ HOME: "/h", PULUMI_CONFIG_PASSPHRASE: "p", GITHUB_TOKEN: "t" }).passphraseEnv, { PULUMI_CONFIG_PASSPHRASE: "p" });
            assert.equal(botSettings({ HOME: "/h" }).passphraseEnv, undefined);
        });
    });

    it("writes progress to stderr and the answer to stdout, as JSON with --json", () => {
        const { io, streams } = capture();
        const text = new Output(streams.stdout, streams.stderr, false);
        text.progress("working");
        text.result("done", { ok: true });
        const json = new Output(streams.stdout, streams.stderr, true);
        json.result("done", { ok: true });
        assert.equal(io.err, "working\n");
        assert.equal(io.out, "done\n{\n  \"ok\": true\n}\n");
    });

    describe("pr down after a failed destroy", () => {
        const failed = (kind: typeof CommandError, stderr: string) =>
            new (kind as unknown as new (r: { toString(): string }) => Error)({ toString: () => `code: -2\n stdout: \n stderr: ${stderr}\n err?: \n` });

        it("says the stack is kept and how to retry, with the engine's reason", () => {
            const error = downFailure(123, failed(CommandError, "Command failed with exit code 255: pulumi destroy\nerror: deleting namespace: the server is currently unable to handle the request"));
            const report = reportFailure(error);
            assert.equal(report.exitCode, 1);
            assert.match(report.message, /^error: pr-123 was not removed: .*stack and its state are kept/);
            assert.match(report.message, /run `rollout-bot pr down 123` again/);
            assert.match(report.message, /the server is currently unable to handle the request/);
        });

        it("keeps the lock error when the destroy never started", () => {
            const locked = failed(ConcurrentUpdateError, "error: the stack is currently locked by 1 lock(s).");
            assert.equal(downFailure(123, locked), locked);
        });
    });
});
