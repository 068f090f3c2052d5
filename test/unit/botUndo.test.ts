import * as assert from "node:assert/strict";
import type { UpdateKind, UpdateResult, UpdateSummary } from "@pulumi/pulumi/automation";
import { imagesUpdate } from "../../bot/configChanges";
import { imageInUpdate, undoTarget } from "../../bot/imageHistory";

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
