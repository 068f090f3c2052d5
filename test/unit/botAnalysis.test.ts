import * as assert from "node:assert/strict";
import { EXIT, RolloutOutcomeError } from "../../bot/errors";
import {
    AnalysisRun, analysisVerdict, describeAnalysisVerdict, describeMetricVerdict, measuredValues, runsOfRevision,
} from "../../bot/rollouts/analysis";
import { RolloutApi } from "../../bot/rollouts/client";
import { describeFollowed, followRollout } from "../../bot/rollouts/follow";
import { usesAnalysis, waitVerdict } from "../../bot/rollouts/status";
import { Rollout, RolloutStatus } from "../../bot/rollouts/types";

const STEPS = [{ setWeight: 20 }, { pause: { duration: "10s" } }, { analysis: { templates: [{ templateName: "success-rate" }] } }, { setWeight: 50 }];

function rollout(status: RolloutStatus): Rollout {
    return {
        metadata: { name: "cart-service", namespace: "prod", generation: 2 },
        spec: { strategy: { canary: { steps: STEPS } } },
        status: { observedGeneration: "2", currentPodHash: "7c9d", stableRS: "5f6b", ...status },
    };
}

/** An AnalysisRun as the controller leaves it: labelled with the revision's hash, owned by the Rollout. */
function run(name: string, phase: string, values: string[], metricPhase = phase, extra: Partial<AnalysisRun["metadata"]> = {}): AnalysisRun {
    return {
        metadata: {
            name,
            labels: { "rollouts-pod-template-hash": "7c9d", "rollout-type": "Step", "step-index": "2" },
            ownerReferences: [{ kind: "Rollout", name: "cart-service" }],
            creationTimestamp: "2026-12-02T10:00:00Z",
            ...extra,
        },
        spec: { metrics: [{ name: "success-rate", successCondition: "result[0] >= 0.99", failureCondition: "result[0] < 0.99" }] },
        status: {
            phase,
            ...(phase === "Failed" ? { message: "Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)" } : {}),
            metricResults: [{
                name: "success-rate",
                phase: metricPhase,
                count: values.length,
                measurements: values.map((value) => ({ phase: metricPhase, value })),
            }],
        },
    };
}

describe("analysis verdicts", () => {
    it("reads the Prometheus provider's values: vectors, scalars and no data", () => {
        assert.deepEqual(measuredValues("[0.9987]"), [0.9987]);
        assert.deepEqual(measuredValues("[0.5 1e-3]"), [0.5, 0.001]);
        assert.deepEqual(measuredValues("250"), [250]);
        assert.ok(Number.isNaN(measuredValues("[NaN]")[0]));
        assert.deepEqual(measuredValues("[+Inf]"), [Infinity]);
        assert.deepEqual(measuredValues(undefined), []);
    });

    it("names the metric, every measured value and the condition it passed", () => {
        const verdict = analysisVerdict(run("cart-service-7c9d-2-2", "Successful", ["[0.9991]", "[0.99876]", "[1]"]));
        assert.deepEqual(describeAnalysisVerdict(verdict), [
            "analysis cart-service-7c9d-2-2 Successful",
            "  success-rate Successful: measured 0.9991, 0.9988, 1; passes when result[0] >= 0.99",
        ]);
    });

    it("names the measured value and the threshold it failed, with the controller's reason", () => {
        const [metric] = analysisVerdict(run("cart-service-7c9d-2-2", "Failed", ["[0.7012]"])).metrics;
        assert.equal(describeMetricVerdict(metric!), "success-rate Failed: measured 0.7012; fails when result[0] < 0.99");
    });

    it("says an inconclusive measurement had no data, and shows both conditions", () => {
        const [metric] = analysisVerdict(run("r", "Inconclusive", ["[NaN]"])).metrics;
        assert.equal(describeMetricVerdict(metric!), "success-rate Inconclusive: measured no data; passes when result[0] >= 0.99, fails when result[0] < 0.99; " +
            "no requests reached these pods in the window, or Prometheus had not yet scraped them twice (`analysis.initialDelay` gives new pods that time), so there was nothing to judge");
    });

    it("keeps only the runs the Rollout started for the revision, oldest first", () => {
        const runs = [
            run("b", "Successful", ["[1]"], "Successful", { creationTimestamp: "2026-12-02T10:05:00Z" }),
            run("a", "Successful", ["[1]"]),
            run("other-rollout", "Failed", ["[0]"], "Failed", { ownerReferences: [{ kind: "Rollout", name: "order-service" }] }),
            run("other-revision", "Failed", ["[0]"], "Failed", { labels: { "rollouts-pod-template-hash": "5f6b" } }),
        ];
        assert.deepEqual(runsOfRevision(runs, "cart-service", "7c9d").map((r) => r.metadata.name), ["a", "b"]);
    });

    it("tells a Rollout with analysis from one without", () => {
        assert.equal(usesAnalysis(rollout({})), true);
        assert.equal(usesAnalysis({ metadata: { name: "x" }, spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } } }), false);
        assert.equal(usesAnalysis({ metadata: { name: "x" }, spec: { strategy: { blueGreen: { prePromotionAnalysis: { templates: [{ templateName: "success-rate" }] } } } } } as Rollout), true);
    });

    it("stops --wait on a pause for an inconclusive analysis, and only on that pause", () => {
        assert.equal(waitVerdict(rollout({ phase: "Paused", currentStepIndex: 2, pauseConditions: [{ reason: "InconclusiveAnalysisRun" }] })), "inconclusive");
        assert.equal(waitVerdict(rollout({ phase: "Paused", currentStepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep" }] })), "continue");
    });

    describe("--wait", () => {
        const quiet = { progress: () => undefined, now: () => 0, sleep: async () => undefined };

        function api(states: Rollout[], runs: AnalysisRun[][]): RolloutApi {
            return { get: async () => states.shift()!, analysisRuns: async () => runs.shift() ?? [], pods: async () => [] } as unknown as RolloutApi;
        }

        it("prints each analysis verdict once as it comes, and returns them with the Healthy Rollout", async () => {
            const success = run("cart-service-7c9d-2-2", "Successful", ["[0.9995]"]);
            const lines: string[] = [];
            const followed = await followRollout(api(
                [rollout({ phase: "Progressing", currentStepIndex: 2 }), rollout({ phase: "Progressing", currentStepIndex: 3 }), rollout({ phase: "Healthy", currentStepIndex: 4, stableRS: "7c9d" })],
                [[run("cart-service-7c9d-2-2", "Running", [])], [success], [success]],
            ), "prod", "cart-service", 60_000, { ...quiet, progress: (line) => lines.push(line.trim()) });
            assert.equal(followed.phase, "Healthy");
            assert.deepEqual(followed.analysis.map((v) => [v.name, v.phase, v.metrics[0]?.measured]), [["cart-service-7c9d-2-2", "Successful", [0.9995]]]);
            assert.equal(lines.filter((line) => line.startsWith("analysis ")).length, 1);
            assert.deepEqual(describeFollowed(followed).slice(1), [
                "  analysis cart-service-7c9d-2-2 Successful",
                "    success-rate Successful: measured 0.9995; passes when result[0] >= 0.99",
            ]);
        });

        it("fails with exit 6 naming the metric, the measured value and the threshold when the analysis aborts the release", async () => {
            await assert.rejects(followRollout(api(
                [rollout({ phase: "Degraded", abort: true, message: "RolloutAborted: Rollout aborted update to revision 2" })],
                [[run("cart-service-7c9d-2-2", "Failed", ["[0.7012]"])]],
            ), "prod", "cart-service", 60_000, quiet), (error: unknown) => {
                assert.ok(error instanceof RolloutOutcomeError);
                assert.equal(error.exitCode, EXIT.rollout);
                assert.match(error.message, /^cart-service is Degraded \(aborted\): analysis cart-service-7c9d-2-2 Failed: success-rate Failed: measured 0\.7012; fails when result\[0\] < 0\.99\./);
                return true;
            });
        });

        it("fails with exit 7 and says a person decides when the analysis is inconclusive", async () => {
            await assert.rejects(followRollout(api(
                [rollout({ phase: "Paused", currentStepIndex: 2, pauseConditions: [{ reason: "InconclusiveAnalysisRun" }] })],
                [[run("cart-service-7c9d-2-2", "Inconclusive", ["[NaN]"])]],
            ), "prod", "cart-service", 60_000, quiet), (error: unknown) => {
                assert.ok(error instanceof RolloutOutcomeError);
                assert.equal(error.exitCode, EXIT.inconclusive);
                assert.match(error.message, /success-rate Inconclusive: measured no data/);
                assert.match(error.message, /`promote` to go on, `abort` to go back/);
                return true;
            });
        });

        it("falls back to the controller's message when no analysis decided", async () => {
            await assert.rejects(followRollout(api([rollout({ phase: "Degraded", message: "ProgressDeadlineExceeded: ReplicaSet has timed out progressing." })], []),
                "prod", "cart-service", 60_000, quiet), /is Degraded: ProgressDeadlineExceeded/);
        });
    });
});
