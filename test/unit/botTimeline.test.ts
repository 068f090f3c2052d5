import * as assert from "node:assert/strict";
import { readCliLog, subcommand } from "../../bench/botTimeline";

describe("the bench's bot timeline (bench/botTimeline.ts)", () => {
    it("names a pulumi process by its words before the first flag, at most two", () => {
        assert.equal(subcommand(["version"]), "version");
        assert.equal(subcommand(["config", "--show-secrets", "--json", "--stack", "pr-1"]), "config");
        assert.equal(subcommand(["stack", "output", "--json", "--show-secrets"]), "stack output");
        assert.equal(subcommand(["config", "set-all", "--stack", "pr-1", "--json", "{}"]), "config set-all");
        assert.equal(subcommand(["up", "--yes", "--skip-preview"]), "up");
    });

    it("reads the wrapper's log into processes in the order they started, in ms", () => {
        const log = "3000000000 3500000000 up --yes\n1000000000 1200000000 version\n\n2000000000 2250000000 config set-all --stack x\n";
        assert.deepEqual(readCliLog(log), [
            { command: "version", ms: 200 }, { command: "config set-all", ms: 250 }, { command: "up", ms: 500 },
        ]);
    });
});
