import * as assert from "node:assert/strict";
import { RolloutOutcomeError } from "../../bot/errors";
import { kubeconfigSource } from "../../bot/kubeconfig";
import { KubernetesApiError, RolloutApi } from "../../bot/rollouts/client";
import { followRollout } from "../../bot/rollouts/follow";
import { ABORT_PATCHES, applyPatches, promotePatches, RETRY_PATCHES } from "../../bot/rollouts/patches";
import { generationObserved, rolloutPhase, setWeight, summarizeRollout, waitVerdict } from "../../bot/rollouts/status";
import { Rollout, RolloutStatus } from "../../bot/rollouts/types";
import type { CanaryStepSpec } from "../../lib/argoTypes";

/**
 * The patch documents of the kubectl argo rollouts plugin, as its source spells them
 * (pkg/kubectl-argo-rollouts/cmd/promote/promote.go, abort/abort.go, retry/retry.go).
 */
const plugin = {
    unpausePatch: JSON.parse(`{"spec":{"paused":false}}`),
    clearPauseConditionsPatch: JSON.parse(`{"status":{"pauseConditions":null}}`),
    unpauseAndClearPauseConditionsPatch: JSON.parse(`{"spec":{"paused":false},"status":{"pauseConditions":null}}`),
    promoteFullPatch: JSON.parse(`{"status":{"promoteFull":true}}`),
    clearPauseConditionsPatchWithStep: (index: number) => JSON.parse(`{"status":{"pauseConditions":null, "currentStepIndex":${index}}}`),
    unpauseAndClearPauseConditionsPatchWithStep: (index: number) => JSON.parse(`{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":${index}}}`),
    abortPatch: JSON.parse(`{"status":{"abort":true}}`),
    retryRolloutPatch: JSON.parse(`{"status":{"abort":false}}`),
};

/** The prod canary of the design: setWeight 20, pause 2m, analysis, setWeight 50, pause 2m, 100. */
const PROD_STEPS: CanaryStepSpec[] = [
    { setWeight: 20 }, { pause: { duration: "2m" } }, { analysis: { templates: [{ templateName: "success-rate" }] } },
    { setWeight: 50 }, { pause: { duration: "2m" } }, { setWeight: 100 },
];

function canary(status: RolloutStatus, options: { generation?: number; paused?: boolean; steps?: CanaryStepSpec[] } = {}): Rollout {
    return {
        metadata: { name: "cart-service", namespace: "prod", generation: options.generation ?? 3 },
        spec: {
            ...(options.paused === undefined ? {} : { paused: options.paused }),
            template: { spec: { containers: [{ name: "cart-service", image: "ghcr.io/pilab-hu/cart-service:v2" }] } },
            strategy: { canary: { steps: options.steps ?? PROD_STEPS } },
        },
        status: { observedGeneration: "3", ...status },
    };
}

function blueGreen(status: RolloutStatus, autoPromotionEnabled = false): Rollout {
    return {
        metadata: { name: "cart-service", generation: 2 },
        spec: { strategy: { blueGreen: { autoPromotionEnabled } } },
        status: { observedGeneration: "2", ...status },
    };
}

describe("Rollouts", () => {
    describe("promote, abort and retry patches (as kubectl argo rollouts)", () => {
        it("promote clears the pause conditions of a Rollout paused at a step", () => {
            const patches = promotePatches(canary({ currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }] }), false);
            assert.deepEqual(patches, {
                status: plugin.clearPauseConditionsPatch,
                unified: plugin.unpauseAndClearPauseConditionsPatch,
            });
        });

        it("promote also unpauses spec.paused, as a separate spec patch", () => {
            const patches = promotePatches(canary({ pauseConditions: [{ reason: "PausedByUser" }] }, { paused: true }), false);
            assert.deepEqual(patches.spec, plugin.unpausePatch);
            assert.deepEqual(patches.status, plugin.clearPauseConditionsPatch);
        });

        it("promote moves a canary running an analysis step one step on", () => {
            const patches = promotePatches(canary({ currentStepIndex: 2 }), false);
            assert.deepEqual(patches, {
                status: plugin.clearPauseConditionsPatchWithStep(3),
                unified: plugin.unpauseAndClearPauseConditionsPatchWithStep(3),
            });
        });

        it("promote does not step past the last step", () => {
            assert.deepEqual(promotePatches(canary({ currentStepIndex: 6 }), false).status, plugin.clearPauseConditionsPatchWithStep(6));
        });

        it("promote treats a canary without a step index as at step 0", () => {
            assert.deepEqual(promotePatches(canary({}), false).status, plugin.clearPauseConditionsPatchWithStep(1));
        });

        it("promote of a blue/green Rollout paused for promotion clears its pause conditions only", () => {
            assert.deepEqual(promotePatches(blueGreen({ pauseConditions: [{ reason: "BlueGreenPause" }] }), false), {
                status: plugin.clearPauseConditionsPatch,
                unified: plugin.unpauseAndClearPauseConditionsPatch,
            });
        });

        it("promote --full sets status.promoteFull, unless the Rollout already runs its desired pods", () => {
            assert.deepEqual(promotePatches(canary({ currentPodHash: "new", stableRS: "old" }), true), { status: plugin.promoteFullPatch });
            assert.deepEqual(promotePatches(canary({ currentPodHash: "same", stableRS: "same" }), true), {});
        });

        it("abort sets status.abort and retry clears it, on the status subresource or as one patch", () => {
            assert.deepEqual(ABORT_PATCHES, { status: plugin.abortPatch, unified: plugin.abortPatch });
            assert.deepEqual(RETRY_PATCHES, { status: plugin.retryRolloutPatch, unified: plugin.retryRolloutPatch });
        });

        it("patches the status subresource, then the spec", async () => {
            const calls: [string, object, string | undefined][] = [];
            const api = { patch: async (_ns: string, name: string, body: object, sub?: "status") => { calls.push([name, body, sub]); return canary({}); } } as RolloutApi;
            await applyPatches(api, "prod", "cart-service", promotePatches(canary({ pauseConditions: [{ reason: "PausedByUser" }] }, { paused: true }), false));
            assert.deepEqual(calls, [
                ["cart-service", { status: { pauseConditions: null } }, "status"],
                ["cart-service", { spec: { paused: false } }, undefined],
            ]);
        });

        it("falls back to one unified patch when there is no status subresource (Argo Rollouts < v0.10)", async () => {
            const calls: [object, string | undefined][] = [];
            const api = {
                patch: async (_ns: string, _name: string, body: object, sub?: "status") => {
                    calls.push([body, sub]);
                    if (sub === "status") {
                        throw new KubernetesApiError("the server could not find the requested resource", 404);
                    }
                    return canary({});
                },
            } as RolloutApi;
            await applyPatches(api, "prod", "cart-service", ABORT_PATCHES);
            assert.deepEqual(calls, [[{ status: { abort: true } }, "status"], [{ status: { abort: true } }, undefined]]);
        });

        it("does not hide other patch failures", async () => {
            const api = { patch: async () => { throw new KubernetesApiError("forbidden", 403); } } as unknown as RolloutApi;
            await assert.rejects(applyPatches(api, "prod", "cart-service", RETRY_PATCHES), /forbidden/);
        });
    });

    describe("status", () => {
        it("trusts status only when observedGeneration has caught up with the generation", () => {
            assert.equal(generationObserved(canary({ observedGeneration: "3" })), true);
            assert.equal(generationObserved(canary({ observedGeneration: "2" })), false);
            assert.equal(generationObserved(canary({ observedGeneration: 3 })), true);
            assert.equal(generationObserved({ ...canary({}), status: {} }), false);
            assert.equal(generationObserved(canary({ observedGeneration: "7c9d5f8b4" })), true);
            assert.deepEqual(rolloutPhase(canary({ observedGeneration: "2", phase: "Healthy" })), {
                phase: "Progressing", message: "waiting for rollout spec update to be observed",
            });
        });

        it("reports Progressing while an unpause has not been picked up", () => {
            assert.equal(rolloutPhase(canary({ phase: "Paused", controllerPause: true, pauseConditions: [] })).phase, "Progressing");
        });

        it("takes the canary weight from the last setWeight at or before the current step", () => {
            assert.equal(setWeight(canary({ currentStepIndex: 0 })), 20);
            assert.equal(setWeight(canary({ currentStepIndex: 2 })), 20);
            assert.equal(setWeight(canary({ currentStepIndex: 4 })), 50);
            assert.equal(setWeight(canary({ currentStepIndex: 6 })), 100);
            assert.equal(setWeight(canary({ currentStepIndex: 2, abort: true })), 0);
        });

        it("summarizes phase, step, weight, analysis runs and images", () => {
            const summary = summarizeRollout(canary({
                phase: "Progressing", message: "more replicas need to be updated", currentStepIndex: 2,
                canary: { currentStepAnalysisRunStatus: { name: "cart-service-7c9d-3", status: "Running" } },
            }));
            assert.deepEqual(summary, {
                name: "cart-service", phase: "Progressing", message: "more replicas need to be updated", strategy: "canary",
                step: "2/6", setWeight: 20, aborted: false,
                analysisRuns: [{ kind: "step", name: "cart-service-7c9d-3", status: "Running" }],
                images: ["ghcr.io/pilab-hu/cart-service:v2"],
                replicas: { updated: undefined, ready: undefined, available: undefined, desired: undefined },
            });
        });
    });

    describe("when --wait stops", () => {
        it("stops at Healthy and at Degraded (aborted included)", () => {
            assert.equal(waitVerdict(canary({ phase: "Healthy", currentStepIndex: 6 })), "healthy");
            assert.equal(waitVerdict(canary({ phase: "Degraded", message: "RolloutAborted: metric success-rate failed", abort: true })), "degraded");
        });

        it("keeps following while the controller has not seen the new spec", () => {
            assert.equal(waitVerdict(canary({ observedGeneration: "2", phase: "Healthy" })), "continue");
        });

        it("follows through a timed pause step and stops at a pause that needs promote", () => {
            assert.equal(waitVerdict(canary({ phase: "Paused", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }] })), "continue");
            const indefinite = canary({ phase: "Paused", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }] }, { steps: [{ setWeight: 20 }, { pause: {} }] });
            assert.equal(waitVerdict(indefinite), "paused");
            assert.equal(waitVerdict(canary({ phase: "Paused" }, { paused: true })), "paused");
            assert.equal(waitVerdict(blueGreen({ phase: "Paused", pauseConditions: [{ reason: "BlueGreenPause" }] })), "paused");
        });

        it("follows a Rollout to Healthy, printing each change once", async () => {
            const states = [
                canary({ observedGeneration: "2", phase: "Healthy" }),
                canary({ phase: "Progressing", currentStepIndex: 0 }),
                canary({ phase: "Progressing", currentStepIndex: 0 }),
                canary({ phase: "Paused", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }] }),
                canary({ phase: "Healthy", currentStepIndex: 6, stableRS: "b", currentPodHash: "b" }),
            ];
            let now = 0;
            const lines: string[] = [];
            const api = { get: async () => states.shift()!, analysisRuns: async () => [] } as unknown as RolloutApi;
            const summary = await followRollout(api, "prod", "cart-service", 60_000, {
                progress: (line) => lines.push(line.trim()), now: () => now, sleep: async (ms) => { now += ms; },
            });
            assert.equal(summary.phase, "Healthy");
            assert.equal(lines.length, 4);
            assert.match(lines[0]!, /Progressing .*waiting for rollout spec update to be observed/);
            assert.match(lines[3]!, /Healthy +canary step 6\/6 weight 100%/);
        });

        it("fails with the rollout exit code when the Rollout is aborted", async () => {
            const api = { get: async () => canary({ phase: "Degraded", message: "RolloutAborted: analysis failed", abort: true }) } as unknown as RolloutApi;
            await assert.rejects(followRollout(api, "prod", "cart-service", 60_000, { progress: () => undefined, now: () => 0, sleep: async () => undefined }),
                (error: unknown) => error instanceof RolloutOutcomeError && error.outcome === "degraded" && error.exitCode === 6 && /aborted/.test(error.message));
        });

        it("fails with the rollout exit code when the timeout passes", async () => {
            let now = 0;
            const api = { get: async () => canary({ phase: "Progressing", currentStepIndex: 3 }) } as unknown as RolloutApi;
            await assert.rejects(followRollout(api, "prod", "cart-service", 10_000, { progress: () => undefined, now: () => now, sleep: async (ms) => { now += ms; } }),
                (error: unknown) => error instanceof RolloutOutcomeError && error.outcome === "timeout" && /within 10s.*step 3\/6/.test(error.message));
            assert.equal(now, 10_000);
        });
    });

    describe("why the new revision's pods do not start", () => {
        const missing = "ghcr.io/pilab-hu/cart-service:v3-kwok-missing";
        const pullingPod = { metadata: { labels: { "rollouts-pod-template-hash": "c" } }, status: { containerStatuses: [{
            name: "cart-service", image: missing, imageID: "", ready: false, restartCount: 0,
            state: { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${missing}"` } },
        }] } };
        const stuck = (status: RolloutStatus): Rollout => {
            const rollout = canary({ currentPodHash: "c", stableRS: "b", ...status });
            return { ...rollout, spec: { ...rollout.spec, template: { spec: { containers: [{ name: "cart-service", image: missing }] } } } };
        };

        it("names the pods' reason and the image when a release aborts, though the aborted pods are gone", async () => {
            const states = [stuck({ phase: "Progressing", currentStepIndex: 0 }), stuck({ phase: "Degraded", abort: true, message: "RolloutAborted: Rollout aborted update to revision 3: ProgressDeadlineExceeded" })];
            const pods = [[pullingPod], []];
            const lines: string[] = [];
            const api = { get: async () => states.shift()!, analysisRuns: async () => [], pods: async () => pods.shift() ?? [] } as unknown as RolloutApi;
            await assert.rejects(followRollout(api, "prod", "cart-service", 60_000, { progress: (line) => lines.push(line.trim()), now: () => 0, sleep: async () => undefined }),
                (error: unknown) => error instanceof RolloutOutcomeError && error.exitCode === 6 && error.message ===
                    `cart-service is Degraded (aborted): pods of the new revision: ImagePullBackOff on ${missing}: Back-off pulling image "${missing}". ` +
                    "Traffic stays on the stable version; `undo` moves the config back, `retry` tries the same image again.");
            assert.match(lines[0]!, /Progressing .* pods ImagePullBackOff/);
        });

        it("names them when --wait times out on a release that does not abort by itself", async () => {
            let now = 0;
            const api = { get: async () => stuck({ phase: "Progressing", currentStepIndex: 0 }), analysisRuns: async () => [], pods: async () => [pullingPod] } as unknown as RolloutApi;
            await assert.rejects(followRollout(api, "prod", "cart-service", 10_000, { progress: () => undefined, now: () => now, sleep: async (ms) => { now += ms; } }),
                (error: unknown) => error instanceof RolloutOutcomeError && error.outcome === "timeout" &&
                    error.message.includes(`(pods of the new revision: ImagePullBackOff on ${missing}: Back-off`) && /progressDeadlineAbort aborts such a release/.test(error.message));
        });

        it("puts them in status's summary", () => {
            const summary = summarizeRollout(stuck({ phase: "Progressing" }), { reason: "CrashLoopBackOff" });
            assert.deepEqual(summary.podFailure, { reason: "CrashLoopBackOff" });
            assert.equal(summarizeRollout(stuck({ phase: "Progressing" })).podFailure, undefined);
        });
    });

    it("takes the kubeconfig and context from the stack's Kubernetes provider config", () => {
        assert.deepEqual(kubeconfigSource({ "kubernetes:kubeconfig": { value: "~/.kube/prod" }, "kubernetes:context": { value: "prod-admin" } }),
            { kubeconfig: "~/.kube/prod", context: "prod-admin" });
        assert.deepEqual(kubeconfigSource({}), {});
    });
});
