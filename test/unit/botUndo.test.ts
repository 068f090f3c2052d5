import * as assert from "node:assert/strict";
import type { UpdateKind, UpdateResult, UpdateSummary } from "@pulumi/pulumi/automation";
import { imagesUpdate } from "../../bot/configChanges";
import { describeServiceImage, imageInUpdate, serviceReleases, undoTarget, undoTargetTo } from "../../bot/imageHistory";
import { parseCommand } from "../../bot/program";

const V1 = "ghcr.io/pilab-hu/cart-service:v1";
const V2 = "ghcr.io/pilab-hu/cart-service:v2";
const V3 = "ghcr.io/pilab-hu/cart-service:v3";
const ORDER = "ghcr.io/pilab-hu/order-service:v9";

let version = 100;

/** One `pulumi stack history --json` entry, with the images config it ran with. */
function entry(images: Record<string, string> | undefined, result: UpdateResult = "succeeded", kind: UpdateKind = "update"): UpdateSummary {
    const config: UpdateSummary["config"] = { "rollout-stacks:imageTag": { value: "v1", secret: false } };
    if (images !== undefined) {
        config["rollout-stacks:images"] = { value: JSON.stringify(images), secret: false, objectValue: images } as UpdateSummary["config"][string];
    }
    return {
        kind, startTime: new Date(0), endTime: new Date(0), message: "", environment: {}, config, result, version: version--,
    };
}

describe("undo bookkeeping: the previous image from the stack history", () => {
    it("goes back to the image of the update before the current one", () => {
        const history = [entry({ "cart-service": V2 }), entry({ "cart-service": V1 })];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "image", current: V2, image: V1 });
    });

    it("skips updates that left the service's image alone (restarts, other services' releases)", () => {
        const history = [
            entry({ "cart-service": V2, "order-service": ORDER }),
            entry({ "cart-service": V2 }),
            entry({ "cart-service": V2 }, "succeeded", "refresh"),
            entry({ "cart-service": V1 }),
        ];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "image", current: V2, image: V1 });
    });

    it("after a failed release, goes back to the last image that worked", () => {
        const history = [entry({ "cart-service": V3 }, "failed"), entry({ "cart-service": V2 }), entry({ "cart-service": V1 })];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "image", current: V3, image: V2 });
    });

    it("never goes back to an image whose update failed", () => {
        const history = [entry({ "cart-service": V2 }), entry({ "cart-service": V3 }, "failed"), entry({ "cart-service": V1 })];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "image", current: V2, image: V1 });
    });

    it("swaps back when undone twice, like kubectl rollout undo", () => {
        const history = [entry({ "cart-service": V1 }), entry({ "cart-service": V2 }), entry({ "cart-service": V1 })];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "image", current: V1, image: V2 });
    });

    it("goes back to the stack's imageTag when the first release is undone", () => {
        const history = [entry({ "cart-service": V2 }), entry(undefined)];
        assert.deepEqual(undoTarget(history, "cart-service"), { kind: "imageTag", current: V2 });
    });

    it("finds nothing to undo without an earlier different image", () => {
        assert.deepEqual(undoTarget([entry({ "cart-service": V2 }), entry({ "cart-service": V2 })], "cart-service"), { kind: "nothing", current: V2 });
        assert.deepEqual(undoTarget([entry(undefined)], "cart-service"), { kind: "nothing" });
        assert.deepEqual(undoTarget([], "cart-service"), { kind: "nothing" });
    });

    it("reads the images key as the CLI prints it, with or without objectValue", () => {
        const withoutObject = entry(undefined);
        withoutObject.config["rollout-stacks:images"] = { value: JSON.stringify({ "cart-service": V3 }), secret: false };
        assert.equal(imageInUpdate(withoutObject, "cart-service"), V3);
        assert.equal(imageInUpdate(entry({ "order-service": ORDER }), "cart-service"), undefined);
    });

    describe("writing the undo into config", () => {
        const current = { "rollout-stacks:images": { value: JSON.stringify({ "cart-service": V2, "order-service": ORDER }), secret: false } };

        it("sets images.<service> to the previous image and keeps the other services", () => {
            assert.deepEqual(imagesUpdate(current, { "cart-service": V1 }), {
                set: { "rollout-stacks:images": { value: JSON.stringify({ "cart-service": V1, "order-service": ORDER }), objectValue: { "cart-service": V1, "order-service": ORDER }, secret: false } },
                remove: [],
            });
        });

        it("removes the override to go back to imageTag, and the key with its last entry", () => {
            assert.deepEqual(imagesUpdate(current, { "cart-service": undefined }).set["rollout-stacks:images"]?.objectValue, { "order-service": ORDER });
            const only = { "rollout-stacks:images": { value: JSON.stringify({ "cart-service": V2 }), secret: false } };
            assert.deepEqual(imagesUpdate(only, { "cart-service": undefined }), { set: {}, remove: ["rollout-stacks:images"] });
            assert.deepEqual(imagesUpdate({}, { "cart-service": undefined }), { set: {}, remove: [] });
        });
    });
});

describe("history and undo --to", () => {
    /** Newest first: a failed v3, a restart at v2, v2 released by the bot, an order-service release, v1 by hand, the first update at imageTag. */
    function stackHistory(): UpdateSummary[] {
        version = 10;
        const at = (minute: number, update: UpdateSummary, message = "", environment: Record<string, string> = {}): UpdateSummary =>
            ({ ...update, startTime: new Date(Date.UTC(2026, 11, 2, 9, minute)), message, environment });
        return [
            at(50, entry({ "cart-service": V3 }, "failed"), "rollout-bot release cart-service=" + V3),
            at(40, entry({ "cart-service": V2 }), "rollout-bot restart"),
            at(30, entry({ "cart-service": V2 }), "rollout-bot release cart-service=" + V2),
            at(20, entry({ "cart-service": V1, "order-service": ORDER })),
            at(10, entry({ "cart-service": V1 }), "", { "git.author": "Ada" }),
            at(0, entry(undefined), "", { "exec.kind": "cli" }),
        ];
    }

    it("lists each release of the service once, newest first, failed ones included, with what made it", () => {
        assert.deepEqual(serviceReleases(stackHistory(), "cart-service"), [
            { update: 10, at: "2026-12-02T09:50:00Z", result: "failed", by: `rollout-bot release cart-service=${V3}`, image: V3 },
            { update: 8, at: "2026-12-02T09:30:00Z", result: "succeeded", by: `rollout-bot release cart-service=${V2}`, image: V2 },
            { update: 6, at: "2026-12-02T09:10:00Z", result: "succeeded", by: "Ada", image: V1 },
            { update: 5, at: "2026-12-02T09:00:00Z", result: "succeeded", by: "cli", imageTag: "v1" },
        ]);
        assert.equal(describeServiceImage({ imageTag: "v1" }), "imageTag v1");
        // Update 8's config had no order-service override any more: back at imageTag, a release too.
        assert.deepEqual(serviceReleases(stackHistory(), "order-service").map((r) => [r.update, describeServiceImage(r)]), [[8, "imageTag v1"], [7, ORDER], [5, "imageTag v1"]]);
    });

    it("shows a release refused once and then run by the update that ran it", () => {
        version = 3;
        const history = [entry({ "cart-service": V2 }), entry({ "cart-service": V2 }, "failed"), entry(undefined)];
        assert.deepEqual(serviceReleases(history, "cart-service").map((r) => [r.update, r.result]), [[3, "succeeded"], [1, "succeeded"]]);
    });

    it("numbers updates from the oldest on a backend that records no versions (a self-managed one records 0)", () => {
        const history = [entry({ "cart-service": V2 }), entry({ "cart-service": V2 }), entry({ "cart-service": V1 })].map((update) => ({ ...update, version: 0 }));
        assert.deepEqual(serviceReleases(history, "cart-service").map((r) => [r.update, r.image]), [[2, V2], [1, V1]]);
        assert.deepEqual(undoTargetTo(history, "cart-service", "1"), { kind: "image", current: V2, image: V1 });
    });

    it("goes back to an update's image or to an image that ran, and to nothing else", () => {
        const history = stackHistory();
        assert.deepEqual(undoTargetTo(history, "cart-service", "6"), { kind: "image", current: V3, image: V1 });
        assert.deepEqual(undoTargetTo(history, "cart-service", V2), { kind: "image", current: V3, image: V2 });
        assert.deepEqual(undoTargetTo(history, "cart-service", "5"), { kind: "imageTag", current: V3 });
        assert.deepEqual(undoTargetTo(history, "cart-service", "10"), { kind: "unknown", why: "update 10 failed, so its image never ran as released" });
        assert.deepEqual(undoTargetTo(history, "cart-service", "99"), { kind: "unknown", why: "the stack's history has no update 99" });
        assert.deepEqual(undoTargetTo(history, "cart-service", "ghcr.io/pilab-hu/cart-service:v9"), { kind: "unknown", why: "no succeeded update ran cart-service at ghcr.io/pilab-hu/cart-service:v9" });
        assert.deepEqual(undoTargetTo(history, "cart-service", V3), { kind: "nothing", current: V3 });
    });

    it("parses undo --to and history --limit", () => {
        assert.deepEqual(parseCommand(["undo", "prod", "cart-service", "--to", "41", "--wait"]),
            { kind: "undo", stack: "prod", service: "cart-service", to: "41", wait: true, timeoutMs: 30 * 60_000, json: false });
        assert.deepEqual(parseCommand(["history", "prod", "cart-service"]), { kind: "history", stack: "prod", service: "cart-service", limit: 10, json: false });
        assert.deepEqual(parseCommand(["history", "prod", "cart-service", "--limit", "3", "--json"]), { kind: "history", stack: "prod", service: "cart-service", limit: 3, json: true });
        assert.throws(() => parseCommand(["history", "prod", "cart-service", "--limit", "0"]), /--limit must be a positive whole number, got '0'/);
    });
});
