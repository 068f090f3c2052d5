import * as assert from "node:assert/strict";
import {
    HEALTHY_IMAGES_KEPT, healthyImageOf, PROMOTION_OVERRIDE_VARIABLE, promotionRefusalMessage, promotionRefusals, withHealthyImage,
} from "../../lib/promotionGate";
import { failProgram, runProgram } from "../support/program";
import { catalogueNames, stackFileConfig } from "../support/projectConfig";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const DEV = "organization/rollout-stacks/dev";
const image = (service: string, tag: string) => `ghcr.io/pilab-hu/${service}:${tag}`;

/** A Rollout as the API server returns it once the controller has it Healthy on `running`. */
function liveRollout(name: string, running: string, status: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        metadata: { name, generation: 4 },
        spec: { template: { spec: { containers: [{ name, image: running }] } } },
        status: { phase: "Healthy", observedGeneration: "4", stableRS: "5d8f", currentPodHash: "5d8f", ...status },
    };
}

/** A stack's `services` output recording `healthy` images per service (and each service's current image). */
function servicesOutput(healthy: Record<string, readonly string[]>, current: Record<string, string> = {}): Record<string, unknown> {
    const names = new Set([...Object.keys(healthy), ...Object.keys(current)]);
    return { services: Object.fromEntries([...names].map((name) => [name, { image: current[name] ?? "", healthyImages: healthy[name] ?? [] }])) };
}

describe("the promotion gate's record: what a Rollout runs Healthy", () => {
    it("is the image of a Rollout the controller reports Healthy on its current spec", () => {
        assert.equal(healthyImageOf(liveRollout("cart-service", image("cart-service", "v2"))), image("cart-service", "v2"));
        // observedGeneration as a number (older controllers) counts the same.
        assert.equal(healthyImageOf(liveRollout("cart-service", image("cart-service", "v2"), { observedGeneration: 4 })), image("cart-service", "v2"));
    });

    it("is nothing while the Rollout is anything but Healthy on the spec it was given", () => {
        const running = image("cart-service", "v2");
        const cases: Record<string, Record<string, unknown>> = {
            "a release under way": { phase: "Progressing" },
            "paused": { phase: "Paused" },
            "Degraded": { phase: "Degraded" },
            "an abort": { abort: true },
            "a status about the previous spec": { observedGeneration: "3" },
            "no observedGeneration yet": { observedGeneration: undefined },
            "the new ReplicaSet not yet the stable one": { currentPodHash: "7c4b" },
            "no stable ReplicaSet": { stableRS: "" },
        };
        for (const [what, status] of Object.entries(cases)) {
            assert.equal(healthyImageOf(liveRollout("cart-service", running, status)), undefined, what);
        }
        assert.equal(healthyImageOf(undefined), undefined, "not read (a preview, or not yet created)");
        assert.equal(healthyImageOf({ metadata: { name: "cart-service" }, status: { phase: "Healthy" } }), undefined, "no generation");
    });

    it("keeps each image once, newest last, and at most the last few", () => {
        assert.deepEqual(withHealthyImage(["a:1", "a:2"], "a:1"), ["a:2", "a:1"]);
        assert.deepEqual(withHealthyImage(["a:1"], undefined), ["a:1"]);
        const many = Array.from({ length: HEALTHY_IMAGES_KEPT }, (_, i) => `a:${i}`);
        const kept = withHealthyImage(many, "a:new");
        assert.equal(kept.length, HEALTHY_IMAGES_KEPT);
        assert.deepEqual([kept[0], kept.at(-1)], ["a:1", "a:new"]);
    });
});

describe("the promotion gate's judgement", () => {
    const dev = servicesOutput({ "cart-service": [image("cart-service", "v1"), image("cart-service", "v2")] }).services;
    const prodLast = servicesOutput({ "cart-service": [image("cart-service", "v0")] }, { "cart-service": image("cart-service", "v1") }).services;

    it("passes an image the service already runs, one dev has run Healthy, and one prod itself ran Healthy (an undo)", () => {
        for (const tag of ["v1", "v2", "v0"]) {
            assert.deepEqual(promotionRefusals([{ service: "cart-service", image: image("cart-service", tag) }], "dev", dev, prodLast), [], tag);
        }
    });

    it("refuses any other image, naming the service, the image and what dev has", () => {
        const refusals = promotionRefusals([{ service: "cart-service", image: image("cart-service", "v3") }, { service: "order-service", image: image("order-service", "v1") }], "dev", dev, prodLast);
        assert.deepEqual(refusals, [
            { service: "cart-service", image: image("cart-service", "v3"), source: "dev", sourceHealthy: [image("cart-service", "v1"), image("cart-service", "v2")] },
            { service: "order-service", image: image("order-service", "v1"), source: "dev", sourceHealthy: [] },
        ]);
        const message = promotionRefusalMessage(refusals);
        assert.match(message, /^Promotion gate refused 2 images; nothing was changed:\n/);
        assert.ok(message.includes(`  - cart-service: ${image("cart-service", "v3")} has never been Healthy in dev; dev has run Healthy: ${image("cart-service", "v1")}, ${image("cart-service", "v2")}`));
        assert.ok(message.includes("  - order-service: ghcr.io/pilab-hu/order-service:v1 has never been Healthy in dev; dev has run no image of order-service Healthy"));
        assert.ok(message.includes("rollout-bot env up dev --wait"));
        assert.ok(message.includes(`--override-promotion-gate '<reason>' (or ${PROMOTION_OVERRIDE_VARIABLE}='<reason>' for pulumi up)`));
    });

    it("treats a record it cannot read as no record", () => {
        assert.equal(promotionRefusals([{ service: "cart-service", image: "x:1" }], "dev", "garbage", null).length, 1);
        assert.equal(promotionRefusals([{ service: "cart-service", image: "x:1" }], "dev", { "cart-service": { healthyImages: "x:1" } }, undefined).length, 1);
    });
});

describe("prod's program behind the promotion gate", () => {
    const { imageTag, environment } = stackFileConfig("prod");
    const prod = { imageTag, environment };
    /** dev's outputs when it has run every catalogue service Healthy at `tag`. */
    const devRan = (tag: string) => ({ [DEV]: servicesOutput(Object.fromEntries(catalogueNames().map((name) => [name, [image(name, tag)]]))) });
    let override: string | undefined;

    beforeEach(() => {
        override = process.env[PROMOTION_OVERRIDE_VARIABLE];
        delete process.env[PROMOTION_OVERRIDE_VARIABLE];
    });
    afterEach(() => {
        if (override === undefined) {
            delete process.env[PROMOTION_OVERRIDE_VARIABLE];
        } else {
            process.env[PROMOTION_OVERRIDE_VARIABLE] = override;
        }
    });

    it("is prod's as the stack file writes it: promoted from dev", () => {
        assert.equal((environment as Record<string, unknown>).promotedFrom, "dev");
    });

    it("deploys once dev has run every image Healthy", async () => {
        const run = await runProgram({ stack: "prod", config: prod, stackOutputs: devRan(String(imageTag)) });
        assert.equal(run.ofType(ROLLOUT).length, catalogueNames().length);
    });

    it("refuses an update with an image dev never ran Healthy before it declares anything, and says which", async () => {
        const released = image("cart-service", "v9");
        const { error, resources } = await failProgram({
            stack: "prod", config: { ...prod, images: { "cart-service": released } }, stackOutputs: devRan(String(imageTag)),
        });
        assert.equal(error.name, "PromotionRefused");
        assert.equal(error.message.split("\n")[0], "Promotion gate refused 1 image; nothing was changed:");
        assert.ok(error.message.includes(`  - cart-service: ${released} has never been Healthy in dev; dev has run Healthy: ${image("cart-service", String(imageTag))}\n`));
        assert.deepEqual(resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), [], "nothing declared but the stack: the update changes nothing");
    });

    it("lets the release through once prod runs it: later updates of other keys are not held up", async () => {
        const released = image("cart-service", "v9");
        const lastOutputs = servicesOutput({}, { ...Object.fromEntries(catalogueNames().map((name) => [name, image(name, String(imageTag))])), "cart-service": released });
        const run = await runProgram({ stack: "prod", config: { ...prod, images: { "cart-service": released } }, stackOutputs: devRan(String(imageTag)), lastOutputs });
        assert.equal(run.ofType(ROLLOUT).length, catalogueNames().length);
    });

    it("only warns in a preview: the merge pipeline releases to dev first", async () => {
        const run = await runProgram({ stack: "prod", config: prod, preview: true });
        assert.equal(run.ofType(ROLLOUT).length, catalogueNames().length);
    });

    it(`lets one update through with ${PROMOTION_OVERRIDE_VARIABLE}, and not with an empty one`, async () => {
        process.env[PROMOTION_OVERRIDE_VARIABLE] = " ";
        await failProgram({ stack: "prod", config: prod });
        process.env[PROMOTION_OVERRIDE_VARIABLE] = "INC-4711: dev cluster down, hotfix";
        const run = await runProgram({ stack: "prod", config: prod });
        assert.equal(run.ofType(ROLLOUT).length, catalogueNames().length);
    });

    it("refuses to be promoted from itself, and a source that is no stack name", async () => {
        const itself = await failProgram({ stack: "prod", config: { ...prod, environment: { ...environment as object, promotedFrom: "prod" } } });
        assert.match(itself.error.message, /- rollout-stacks:environment\.promotedFrom: an environment cannot be promoted from itself; .* \(given: "prod"\)/);
        const path = await failProgram({ stack: "prod", config: { ...prod, environment: { ...environment as object, promotedFrom: "acme/shop/dev" } } });
        assert.match(path.error.message, /- rollout-stacks:environment\.promotedFrom: expected the name of a stack of this project, such as dev/);
    });
});

describe("an environment records the images it runs Healthy", () => {
    const { imageTag, environment } = stackFileConfig("dev");
    const dev = { imageTag, environment };
    const tag = String(imageTag);

    it("adds the image each Rollout is Healthy on when the update reads it back, and keeps what it had", async () => {
        const lastOutputs = servicesOutput({ "cart-service": [image("cart-service", "old")] });
        const run = await runProgram({
            stack: "dev", config: dev, lastOutputs,
            readState: (type, id) => (type === ROLLOUT && id === "dev-cart-service-rollout-id" ? liveRollout("cart-service", image("cart-service", tag)) : undefined),
        });
        assert.deepEqual(run.outputs.services["cart-service"].healthyImages, [image("cart-service", "old"), image("cart-service", tag)]);
        assert.deepEqual(run.outputs.services["order-service"].healthyImages, [], "read back with no status: not Healthy");
        assert.equal(run.reads.filter((r) => r.type === ROLLOUT).length, catalogueNames().length, "each Rollout read back once");
    });

    it("records nothing for a Rollout still on its way, nor in a preview", async () => {
        const lastOutputs = servicesOutput({ "cart-service": [image("cart-service", "old")] });
        const releasing = await runProgram({
            stack: "dev", config: dev, lastOutputs,
            readState: (type) => (type === ROLLOUT ? liveRollout("cart-service", image("cart-service", tag), { phase: "Progressing" }) : undefined),
        });
        assert.deepEqual(releasing.outputs.services["cart-service"].healthyImages, [image("cart-service", "old")]);
        const preview = await runProgram({
            stack: "dev", config: dev, lastOutputs, preview: true,
            readState: (type) => (type === ROLLOUT ? liveRollout("cart-service", image("cart-service", tag)) : undefined),
        });
        assert.deepEqual(preview.outputs.services["cart-service"].healthyImages, [image("cart-service", "old")]);
    });
});
