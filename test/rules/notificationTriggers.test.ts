import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { NotificationTrigger, triggerAndTemplateEntries } from "../../lib/notifications";

/**
 * The notification triggers' `when` conditions (lib/notifications.ts) run by trigger-check, which
 * compiles and runs them with the expr language and variables of the pinned Argo Rollouts
 * controller (scripts/go/trigger-check). The moments asked about here are ones the e2e suite meets
 * only by timing: a Rollout changing while a canary waits in a step longer than the progress
 * deadline, or a release starting longer than the deadline after the last one finished. Each
 * verdict is checked on both of the controller's paths (the event it raises, the change it watches).
 */

const TRIGGER_CHECK = process.env.TRIGGER_CHECK;

type Verdict = { readonly event: boolean; readonly watch: boolean } | { readonly error: string };

interface Case {
    readonly trigger: NotificationTrigger;
    readonly rollout: Record<string, unknown>;
    readonly analysisRuns?: readonly unknown[] | null;
}

function check(cases: readonly Case[]): Verdict[] {
    if (TRIGGER_CHECK === undefined || TRIGGER_CHECK === "") {
        throw new Error("TRIGGER_CHECK is not set: run these through npm run test:rules, which builds trigger-check with the toolchain");
    }
    const { triggers } = triggerAndTemplateEntries({ webhooks: [] });
    const input = {
        triggers: Object.fromEntries(Object.entries(triggers).map(([key, yaml]) => [key.slice("trigger.".length), yaml])),
        cases: cases.map((c) => ({ trigger: c.trigger, rollout: c.rollout, analysisRuns: c.analysisRuns ?? null })),
    };
    return JSON.parse(execFileSync(TRIGGER_CHECK, { input: JSON.stringify(input), encoding: "utf8" })) as Verdict[];
}

function holds(c: Case): boolean {
    const [verdict] = check([c]);
    assert.ok(verdict !== undefined && !("error" in verdict), `trigger-check: ${JSON.stringify(verdict)}`);
    assert.equal(verdict.event, verdict.watch, "both of the controller's paths decide alike");
    return verdict.event;
}

const DEADLINE_S = 15;
const CANARY_STEPS = [
    { setWeight: 20 }, { pause: { duration: "10s" } }, { analysis: { templates: [{ templateName: "success-rate" }] } },
    { setWeight: 50 }, { experiment: { templates: [] } }, { setWeight: 100 },
];
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");

interface RolloutShape {
    readonly generation?: number;
    readonly observedGeneration?: string;
    readonly canary?: boolean;
    readonly stepIndex?: number;
    readonly progressing?: { readonly reason: string; readonly status?: string; readonly secondsAgo: number };
    readonly abort?: boolean;
    readonly paused?: boolean;
    readonly pauseConditions?: readonly unknown[];
    readonly progressDeadlineAbort?: boolean;
}

/** A Rollout as the controller holds it; by default a canary at its first step, progressing, past its deadline. */
function rollout(shape: RolloutShape = {}): Record<string, unknown> {
    const { generation = 4, canary = true, progressing = { reason: "ReplicaSetUpdated", secondsAgo: 60 } } = shape;
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name: "api", namespace: "prod", generation },
        spec: {
            progressDeadlineSeconds: DEADLINE_S,
            ...(shape.progressDeadlineAbort === false ? {} : { progressDeadlineAbort: true }),
            ...(shape.paused === undefined ? {} : { paused: shape.paused }),
            strategy: canary ? { canary: { steps: CANARY_STEPS } } : { blueGreen: { activeService: "api" } },
        },
        status: {
            observedGeneration: shape.observedGeneration ?? String(generation),
            ...(canary ? { currentStepIndex: shape.stepIndex ?? 0 } : {}),
            ...(shape.abort === undefined ? {} : { abort: shape.abort }),
            ...(shape.pauseConditions === undefined ? {} : { pauseConditions: shape.pauseConditions }),
            conditions: [
                { type: "Available", status: "True", reason: "AvailableReason", lastUpdateTime: ago(600) },
                {
                    type: "Progressing", status: progressing.status ?? "True", reason: progressing.reason,
                    lastUpdateTime: ago(progressing.secondsAgo), message: "ReplicaSet \"api-7d9f\" is progressing.",
                },
            ],
        },
    };
}

const aborted = (r: Record<string, unknown>, analysisRuns?: readonly unknown[]): Case => ({ trigger: "on-rollout-aborted", rollout: r, analysisRuns });
const analysisRun = (phase: string) => ({ metadata: { name: "api-7d9f-4-2" }, status: { phase } });

describe("notification triggers, as the rollouts controller evaluates them", () => {
    describe("on-rollout-aborted: the moment before the controller records an abort", () => {
        it("holds for a canary progressing past its deadline at a step the controller times out", () => {
            assert.equal(holds(aborted(rollout())), true);
            assert.equal(holds(aborted(rollout({ stepIndex: 3 }))), true, "at setWeight 50");
            assert.equal(holds(aborted(rollout({ stepIndex: CANARY_STEPS.length }))), true, "after the last step, pods still not ready");
            assert.equal(holds(aborted(rollout({ canary: false }))), true, "a blue/green Rollout has no steps to wait in");
        });

        it("holds as the newest analysis fails, whatever the deadline", () => {
            const fresh = rollout({ stepIndex: 2, progressing: { reason: "ReplicaSetUpdated", secondsAgo: 1 } });
            assert.equal(holds(aborted(fresh, [analysisRun("Failed")])), true);
            assert.equal(holds(aborted(fresh, [analysisRun("Error")])), true);
            assert.equal(holds(aborted(fresh, [analysisRun("Running")])), false);
            assert.equal(holds(aborted(fresh, [analysisRun("Successful"), analysisRun("Failed")])), false, "only the newest counts");
            assert.equal(holds(aborted(fresh)), false, "no analysis at all");
        });

        it("no longer holds once the abort is recorded, so each abort is announced once", () => {
            assert.equal(holds(aborted(rollout({ abort: true }))), false);
            assert.equal(holds(aborted(rollout({ abort: true, stepIndex: 2 }), [analysisRun("Failed")])), false);
        });

        it("does not hold before the deadline, or when the deadline does not abort", () => {
            assert.equal(holds(aborted(rollout({ progressing: { reason: "ReplicaSetUpdated", secondsAgo: DEADLINE_S - 5 } }))), false);
            assert.equal(holds(aborted(rollout({ progressDeadlineAbort: false }))), false);
        });

        it("does not hold while the canary waits in a pause, an analysis or an experiment longer than the deadline", () => {
            assert.equal(holds(aborted(rollout({ stepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep", startTime: ago(60) }] }))), false);
            assert.equal(holds(aborted(rollout({ stepIndex: 1 }))), false, "the pause step reached, its pause condition not yet written");
            assert.equal(holds(aborted(rollout({ stepIndex: 2 }))), false, "the analysis step");
            assert.equal(holds(aborted(rollout({ stepIndex: 4 }))), false, "the experiment step");
            assert.equal(holds(aborted(rollout({ paused: true }))), false, "paused by spec.paused");
        });

        it("does not hold on a finished release, nor on a new spec the controller has not yet seen", () => {
            // A release started an hour after the last one finished: the spec is new, the status old.
            assert.equal(holds(aborted(rollout({ progressing: { reason: "NewReplicaSetAvailable", secondsAgo: 3600 } }))), false);
            assert.equal(holds(aborted(rollout({ generation: 5, observedGeneration: "4" }))), false);
            // An aborted or timed-out Progressing condition is False: nothing is progressing.
            assert.equal(holds(aborted(rollout({ progressing: { reason: "RolloutAborted", status: "False", secondsAgo: 60 } }))), false);
        });
    });

    it("sends the triggers without a condition on their event alone, never on a change", () => {
        const verdicts = check((["on-rollout-completed", "on-rollout-step-completed", "on-analysis-run-failed"] as const)
            .map((trigger) => ({ trigger, rollout: rollout() })));
        assert.deepEqual(verdicts, [{ event: true, watch: false }, { event: true, watch: false }, { event: true, watch: false }]);
    });
});
