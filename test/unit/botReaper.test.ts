import * as assert from "node:assert/strict";
import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { activityFromHistory, decideReaping, isPrStack, REAPER_MESSAGE } from "../../bot/reaper";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date("2025-01-15T14:30:00Z");

function ago(ms: number): Date {
    return new Date(NOW.getTime() - ms);
}

function update(message: string, end: Date, active = "true", pr: object = { number: 5 }): UpdateSummary {
    return {
        kind: "update", startTime: new Date(end.getTime() - 60_000), endTime: end, message, environment: {},
        config: {
            "rollout-stacks:active": { value: active, secret: false },
            "rollout-stacks:imageTag": { value: "pr-5", secret: false },
            "rollout-stacks:pr": { value: JSON.stringify(pr), secret: false },
        },
        result: "succeeded", version: 1,
    };
}

describe("PR reaper", () => {
    describe("decisions (fake clock)", () => {
        const policy = { idleMs: 1 * HOUR, destroyAfterMs: 7 * DAY };

        it("keeps a stack updated within --idle", () => {
            const [decision] = decideReaping([{ stack: "pr-1", lastActivity: ago(59 * 60_000), active: true }], policy, NOW);
            assert.equal(decision!.action, "keep");
            assert.equal(decision!.idleMs, 59 * 60_000);
            assert.match(decision!.reason, /idle 59m, under --idle 1h/);
        });

        it("pauses an active stack idle for exactly --idle or longer", () => {
            const decisions = decideReaping([
                { stack: "pr-2", lastActivity: ago(HOUR), active: true },
                { stack: "pr-3", lastActivity: ago(3 * DAY), active: true },
            ], policy, NOW);
            assert.deepEqual(decisions.map((d) => d.action), ["pause", "pause"]);
            assert.match(decisions[1]!.reason, /idle 3d, past --idle 1h/);
        });

        it("keeps a stack that is already paused until --destroy-after", () => {
            const [decision] = decideReaping([{ stack: "pr-4", lastActivity: ago(2 * DAY), active: false }], policy, NOW);
            assert.equal(decision!.action, "keep");
            assert.match(decision!.reason, /already paused/);
        });

        it("destroys a stack idle past --destroy-after, paused or not", () => {
            const decisions = decideReaping([
                { stack: "pr-5", lastActivity: ago(7 * DAY), active: false },
                { stack: "pr-6", lastActivity: ago(30 * DAY), active: true },
            ], policy, NOW);
            assert.deepEqual(decisions.map((d) => d.action), ["destroy", "destroy"]);
            assert.match(decisions[0]!.reason, /idle 7d, past --destroy-after 7d/);
        });

        it("never destroys without --destroy-after", () => {
            const [decision] = decideReaping([{ stack: "pr-7", lastActivity: ago(365 * DAY), active: true }], { idleMs: HOUR }, NOW);
            assert.equal(decision!.action, "pause");
        });

        it("keeps a stack with no recorded update", () => {
            const [decision] = decideReaping([{ stack: "pr-8", active: true }], policy, NOW);
            assert.equal(decision!.action, "keep");
            assert.equal(decision!.idleMs, undefined);
        });

        it("ignores stacks that are not PR stacks", () => {
            const decisions = decideReaping([
                { stack: "prod", lastActivity: ago(90 * DAY), active: true },
                { stack: "pr-staging", lastActivity: ago(90 * DAY), active: true },
                { stack: "organization/rollout-stacks/pr-12", lastActivity: ago(90 * DAY), active: true },
            ], policy, NOW);
            assert.deepEqual(decisions.map((d) => d.stack), ["organization/rollout-stacks/pr-12"]);
        });

        it("pauses by a PR's own pr.ttlHours instead of --idle, sooner or later", () => {
            const decisions = decideReaping([
                { stack: "pr-10", lastActivity: ago(30 * 60_000), active: true, ttlMs: 15 * 60_000 },
                { stack: "pr-11", lastActivity: ago(3 * HOUR), active: true, ttlMs: 48 * HOUR },
                { stack: "pr-12", lastActivity: ago(49 * HOUR), active: true, ttlMs: 48 * HOUR },
            ], policy, NOW);
            assert.deepEqual(decisions.map((d) => d.action), ["pause", "keep", "pause"]);
            assert.match(decisions[1]!.reason, /idle 3h, under its pr\.ttlHours 2d/);
        });

        it("postpones the destroy by as much as a PR's TTL exceeds --idle, and never destroys sooner for a shorter one", () => {
            const longTtl = { stack: "pr-13", active: false, ttlMs: 49 * HOUR };
            assert.equal(decideReaping([{ ...longTtl, lastActivity: ago(7 * DAY) }], policy, NOW)[0]!.action, "keep");
            const destroyed = decideReaping([{ ...longTtl, lastActivity: ago(9 * DAY) }], policy, NOW)[0]!;
            assert.equal(destroyed.action, "destroy");
            assert.match(destroyed.reason, /past --destroy-after plus its longer TTL, 9d/);
            const shortTtl = { stack: "pr-14", active: false, ttlMs: 10 * 60_000 };
            assert.equal(decideReaping([{ ...shortTtl, lastActivity: ago(7 * DAY - 1) }], policy, NOW)[0]!.action, "keep");
        });

        it("never pauses or destroys a PR labelled with the keep label", () => {
            const labelled = { lastActivity: ago(30 * DAY), active: true, labels: ["bug", "keep-environment"] };
            const decisions = decideReaping([{ stack: "pr-15", ...labelled }, { stack: "pr-16", ...labelled, labels: ["bug"] }],
                { ...policy, keepLabel: "keep-environment" }, NOW);
            assert.deepEqual(decisions.map((d) => [d.action, d.reason]), [
                ["keep", "the pull request is labelled keep-environment"],
                ["destroy", "idle 30d, past --destroy-after 7d"],
            ]);
            assert.equal(decideReaping([{ stack: "pr-15", ...labelled }], { ...policy, keepLabel: "" }, NOW)[0]!.action, "destroy");
        });

        it("decides by the clock it is given, not the wall clock", () => {
            const stacks = [{ stack: "pr-9", lastActivity: new Date("2025-01-15T13:00:00Z"), active: true }];
            assert.equal(decideReaping(stacks, policy, new Date("2025-01-15T13:59:59Z"))[0]!.action, "keep");
            assert.equal(decideReaping(stacks, policy, new Date("2025-01-15T14:00:00Z"))[0]!.action, "pause");
        });
    });

    describe("activity from the stack history", () => {
        it("takes the newest update's end as the last activity", () => {
            const history = [update("rollout-bot pr up 5", ago(2 * HOUR)), update("rollout-bot pr up 5", ago(5 * HOUR))];
            assert.deepEqual(activityFromHistory("pr-5", history), { stack: "pr-5", active: true, lastActivity: ago(2 * HOUR) });
        });

        it("does not count the reaper's own pause as activity, and sees the stack paused", () => {
            const history = [update(`${REAPER_MESSAGE} 1h`, ago(HOUR), "false"), update("rollout-bot pr up 5", ago(2 * HOUR))];
            assert.deepEqual(activityFromHistory("pr-5", history), { stack: "pr-5", active: false, lastActivity: ago(2 * HOUR) });
        });

        it("counts a human pause or resume as activity", () => {
            const history = [update("rollout-bot pr pause 5", ago(HOUR), "false"), update("rollout-bot pr up 5", ago(9 * HOUR))];
            assert.deepEqual(activityFromHistory("pr-5", history), { stack: "pr-5", active: false, lastActivity: ago(HOUR) });
        });

        it("reads the PR's ttlHours from the newest update's config", () => {
            const history = [update("rollout-bot pr up 5", ago(HOUR), "true", { number: 5, ttlHours: 1.5 })];
            assert.deepEqual(activityFromHistory("pr-5", history), { stack: "pr-5", active: true, lastActivity: ago(HOUR), ttlMs: 90 * 60_000 });
        });

        it("has no activity without history", () => {
            assert.deepEqual(activityFromHistory("pr-5", []), { stack: "pr-5", active: true });
        });

        it("recognises PR stack names only", () => {
            assert.deepEqual(["pr-1", "pr-123", "pr-0", "pr-01", "pr-x", "dev", "org/proj/pr-4"].map(isPrStack), [true, true, false, false, false, false, true]);
        });
    });
});
