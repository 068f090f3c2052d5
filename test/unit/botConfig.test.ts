import * as assert from "node:assert/strict";
import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { activeUpdate, needsRestart, nextDeployedAt, prConfigUpdate, restartUpdate } from "../../bot/configChanges";
import { configFromLastUpdate, revertUpdate } from "../../bot/stackConfig";

const PR_KEY = "rollout-stacks:pr";
const DEPLOYED_AT_KEY = "rollout-stacks:deployedAt";
const NOW = new Date("2025-01-15T14:30:00.500Z");

describe("bot config changes", () => {
    it("writes pr.number, imageTag and active=true for pr up, keeping other pr settings", () => {
        const current = { [PR_KEY]: { value: JSON.stringify({ number: 5, ttlHours: 8, services: ["cart-service"] }), secret: false } };
        const update = prConfigUpdate(current, { pr: 5, imageTag: "sha-1a2b3c4" }, NOW);
        assert.deepEqual(update.set[PR_KEY]?.objectValue, { number: 5, ttlHours: 8, services: ["cart-service"] });
        assert.equal(update.set["rollout-stacks:imageTag"]?.value, "sha-1a2b3c4");
        assert.equal(update.set["rollout-stacks:active"]?.value, "true");
        assert.equal(update.set["rollout-stacks:domain"], undefined);
    });

    it("replaces pr.services as a whole list and sets the domain when given", () => {
        const current = { [PR_KEY]: { value: JSON.stringify({ number: 5, services: ["a-service", "b-service", "c-service"] }), secret: false } };
        const update = prConfigUpdate(current, { pr: 5, imageTag: "t", services: ["cart-service"], domain: "example.com" }, NOW);
        assert.deepEqual(update.set[PR_KEY]?.objectValue, { number: 5, services: ["cart-service"] });
        assert.equal(update.set["rollout-stacks:domain"]?.value, "example.com");
    });

    it("keeps pr.number a number, as the config contract wants it", () => {
        const update = prConfigUpdate({}, { pr: 42, imageTag: "t" }, NOW);
        assert.equal(update.set[PR_KEY]?.value, "{\"number\":42}");
    });

    describe("every push rolls the PR environment exactly once", () => {
        it("sets no deployedAt for a per-commit tag: the new tag changes the pod templates by itself", () => {
            for (const imageTag of ["pr-5-1a2b3c4", "sha-1a2b3c4d5e6f", "v1.4.0"]) {
                const update = prConfigUpdate({}, { pr: 5, imageTag }, NOW);
                assert.equal(update.set[DEPLOYED_AT_KEY], undefined, imageTag);
            }
        });

        it("sets a new deployedAt for a mutable tag on every call, since the tag may name a new build", () => {
            const first = prConfigUpdate({}, { pr: 5, imageTag: "pr-5" }, NOW);
            assert.equal(first.set[DEPLOYED_AT_KEY]?.value, "2025-01-15T14:30:00Z");
            const current = { [DEPLOYED_AT_KEY]: { value: "2025-01-15T14:30:00Z", secret: false } };
            const second = prConfigUpdate(current, { pr: 5, imageTag: "pr-5" }, NOW);
            assert.equal(second.set[DEPLOYED_AT_KEY]?.value, "2025-01-15T14:30:01Z", "the same second must still be a new value");
        });

        it("restarts when an images override of the stack is mutable, even under a per-commit imageTag", () => {
            const images = (value: object) => ({ "rollout-stacks:images": { value: JSON.stringify(value), secret: false } });
            assert.equal(needsRestart(images({ "cart-service": "ghcr.io/acme/cart-service:main" }), "pr-5-1a2b3c4"), true);
            assert.equal(needsRestart(images({ "cart-service": `ghcr.io/acme/cart-service@sha256:${"a".repeat(64)}` }), "pr-5-1a2b3c4"), false);
            assert.equal(needsRestart({}, "pr-5-1a2b3c4"), false);
        });
    });

    it("pauses and resumes through active", () => {
        assert.deepEqual(activeUpdate(false), { set: { "rollout-stacks:active": { value: "false", secret: false } }, remove: [] });
        assert.equal(activeUpdate(true).set["rollout-stacks:active"]?.value, "true");
    });

    describe("restart", () => {
        it("writes now in RFC3339 UTC to the second", () => {
            assert.equal(nextDeployedAt(undefined, new Date("2025-01-15T14:30:00.789Z")), "2025-01-15T14:30:00Z");
            assert.equal(restartUpdate({}, new Date("2025-01-15T14:30:00.789Z")).set["rollout-stacks:deployedAt"]?.value, "2025-01-15T14:30:00Z");
        });

        it("moves one second on when the stack already has this second, so a quick second restart still restarts", () => {
            assert.equal(nextDeployedAt("2025-01-15T14:30:00Z", new Date("2025-01-15T14:30:00.100Z")), "2025-01-15T14:30:01Z");
            assert.equal(nextDeployedAt("2025-01-15T14:30:05Z", new Date("2025-01-15T14:30:00Z")), "2025-01-15T14:30:06Z");
            assert.equal(nextDeployedAt("2025-01-15T14:29:59Z", new Date("2025-01-15T14:30:00Z")), "2025-01-15T14:30:00Z");
        });

        it("ignores a current value that is not RFC3339 UTC", () => {
            assert.equal(nextDeployedAt("yesterday", new Date("2025-01-15T14:30:00Z")), "2025-01-15T14:30:00Z");
        });
    });

    describe("putting config back after an update that applied nothing", () => {
        const before = {
            "rollout-stacks:imageTag": { value: "pr-5", secret: false },
            [PR_KEY]: { value: "{\"number\":5}", secret: false },
        };
        const update = {
            set: { "rollout-stacks:imageTag": { value: "latest", secret: false }, "rollout-stacks:deployedAt": { value: "2025-01-15T14:30:00Z", secret: false } },
            remove: [PR_KEY],
        };
        const after = {
            "rollout-stacks:imageTag": { value: "latest", secret: false },
            "rollout-stacks:deployedAt": { value: "2025-01-15T14:30:00Z", secret: false },
        };

        it("restores changed keys, removes added ones and brings back removed ones", () => {
            assert.deepEqual(revertUpdate(before, update, after), {
                set: { "rollout-stacks:imageTag": { value: "pr-5", secret: false }, [PR_KEY]: { value: "{\"number\":5}", secret: false } },
                remove: ["rollout-stacks:deployedAt"],
            });
        });

        it("leaves a key alone when someone changed it since", () => {
            const now = { ...after, "rollout-stacks:imageTag": { value: "pr-6", secret: false } };
            assert.equal(revertUpdate(before, update, now).set["rollout-stacks:imageTag"], undefined);
        });

        it("compares structured values by meaning, not by JSON spelling", () => {
            const objectUpdate = { set: { [PR_KEY]: { value: "{\"number\":6}", objectValue: { number: 6 }, secret: false } }, remove: [] };
            const now = { [PR_KEY]: { value: "{\n  \"number\": 6\n}", secret: false } };
            assert.deepEqual(revertUpdate(before, objectUpdate, now).set[PR_KEY], { value: "{\"number\":5}", secret: false });
        });
    });

    describe("restoring config in a checkout without the stack's settings file", () => {
        function entry(kind: UpdateSummary["kind"], config: UpdateSummary["config"]): UpdateSummary {
            return { kind, startTime: new Date(0), endTime: new Date(0), message: "", environment: {}, config, result: "succeeded", version: 1 };
        }

        it("takes the last update's config without the project's catalogue and undecryptable secrets", () => {
            const history = [
                entry("refresh", {}),
                entry("update", {
                    "rollout-stacks:services": { value: "[]", secret: false },
                    "rollout-stacks:imageTag": { value: "pr-5", secret: false },
                    [PR_KEY]: { value: "{\"number\":5}", secret: false, objectValue: { number: 5 } } as UpdateSummary["config"][string],
                    "rollout-stacks:backends": { value: "ERROR_UNABLE_TO_DECRYPT", secret: true },
                    "kubernetes:context": { value: "kind-dev", secret: false },
                }),
            ];
            assert.deepEqual(configFromLastUpdate(history), {
                set: {
                    "rollout-stacks:imageTag": { value: "pr-5", secret: false },
                    [PR_KEY]: { value: "{\"number\":5}", objectValue: { number: 5 }, secret: false },
                    "kubernetes:context": { value: "kind-dev", secret: false },
                },
                remove: [],
            });
        });

        it("restores nothing for a stack that was never updated", () => {
            assert.equal(configFromLastUpdate([entry("refresh", {})]), undefined);
        });
    });
});
