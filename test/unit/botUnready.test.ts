import * as assert from "node:assert/strict";
import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { EXIT, reportFailure } from "../../bot/errors";
import { readyTimeoutOf, ServicesNotReadyError, unready } from "../../bot/unreadyServices";
import { serviceStates, WorkloadApi } from "../../bot/workloads";

/** One PR namespace as the API server lists it: cart-service's new pods cannot pull, order-service is fine, a paused one. */
function cluster(): WorkloadApi {
    const deployment = (name: string, replicas: number, image: string): V1Deployment => ({
        metadata: { name, uid: `uid-${name}`, generation: 2, annotations: { "deployment.kubernetes.io/revision": "2" } },
        spec: { replicas, selector: { matchLabels: { app: name } }, template: { spec: { containers: [{ name, image }] } } },
        status: { observedGeneration: 2, replicas, updatedReplicas: replicas, availableReplicas: replicas },
    });
    const replicaSet = (owner: string, revision: string, hash: string, ready: number): V1ReplicaSet => ({
        metadata: {
            name: `${owner}-${hash}`, labels: { "pod-template-hash": hash }, annotations: { "deployment.kubernetes.io/revision": revision },
            ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: owner, uid: `uid-${owner}` }],
        },
        spec: { selector: { matchLabels: {} } },
        status: { replicas: 1, readyReplicas: ready },
    });
    const pod = (app: string, hash: string, waiting?: { reason: string; message: string }): V1Pod => ({
        metadata: { labels: { app, "pod-template-hash": hash } },
        status: {
            containerStatuses: [{
                name: app, image: "x", imageID: "", ready: waiting === undefined, restartCount: 0,
                state: waiting === undefined ? { running: {} } : { waiting },
            }],
        },
    });
    const missing = "ghcr.io/pilab-hu/cart-service:pr-7-bad-kwok-missing";
    return {
        deployments: async () => [
            { ...deployment("cart-service", 1, missing), status: { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 } },
            deployment("order-service", 1, "ghcr.io/pilab-hu/order-service:pr-7-1a2b3c4"),
            deployment("paused-service", 0, "ghcr.io/pilab-hu/paused-service:pr-7-1a2b3c4"),
        ],
        replicaSets: async () => [replicaSet("cart-service", "1", "old", 1), replicaSet("cart-service", "2", "new", 0), replicaSet("order-service", "2", "o2", 1)],
        pods: async () => [
            pod("cart-service", "old"),
            pod("cart-service", "new", { reason: "ImagePullBackOff", message: `Back-off pulling image "${missing}"` }),
            pod("order-service", "o2"),
        ],
    };
}

describe("bot: services not ready after a PR update", () => {
    it("names each failing service with its image and the kubelet's reason and message", async () => {
        const states = await serviceStates(cluster(), "pr-7-shop", ["cart-service", "order-service", "paused-service"]);
        const failing = unready(states);
        assert.deepEqual(failing, [{
            service: "cart-service", image: "ghcr.io/pilab-hu/cart-service:pr-7-bad-kwok-missing", reason: "ImagePullBackOff",
            message: "Back-off pulling image \"ghcr.io/pilab-hu/cart-service:pr-7-bad-kwok-missing\"", ready: "0/1",
        }]);
        const report = reportFailure(new ServicesNotReadyError("pr-7", failing, 3, "20s"));
        assert.equal(report.exitCode, EXIT.rollout);
        assert.equal(report.message, "error: pr-7: 1 of 3 services did not become ready within pr.readyTimeout (20s); the pods of the previous image keep serving:\n" +
            "  - cart-service (ghcr.io/pilab-hu/cart-service:pr-7-bad-kwok-missing): ImagePullBackOff: Back-off pulling image " +
            "\"ghcr.io/pilab-hu/cart-service:pr-7-bad-kwok-missing\" [0/1 ready]\n" +
            "Push an image that starts and run pr up again (no other step is needed); pr.readyTimeout sets how long an update waits.");
        assert.deepEqual(report.details, { unreadyServices: failing });
    });

    it("calls pods that give no reason NotReady, and leaves ready and paused services out", () => {
        assert.deepEqual(unready([
            { service: "a", state: "progressing", ready: "0/1", image: "i:1" },
            { service: "b", state: "ready", ready: "1/1" },
            { service: "c", state: "paused", ready: "0/0" },
            { service: "d", state: "failed", ready: "0/1", reason: "CrashLoopBackOff" },
        ]), [{ service: "a", image: "i:1", reason: "NotReady", ready: "0/1" }, { service: "d", reason: "CrashLoopBackOff", ready: "0/1" }]);
    });

    it("reads pr.readyTimeout from the stack's config, or the program's default", () => {
        assert.equal(readyTimeoutOf({ "rollout-stacks:pr": { value: JSON.stringify({ number: 7, readyTimeout: "2m" }) } }), "2m");
        assert.equal(readyTimeoutOf({ "rollout-stacks:pr": { value: JSON.stringify({ number: 7 }) } }), "300s");
        assert.equal(readyTimeoutOf({}), "300s");
    });
});
