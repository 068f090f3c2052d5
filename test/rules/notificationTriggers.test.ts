import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { NotificationTrigger, triggerAndTemplateEntries } from "../../lib/notifications";

/**
 * The notification triggers' `when` conditions (lib/notifications.ts) run by trigger-check, which
 * compiles and runs them with the expr language and variables of the pinned Argo Rollouts
 * controller (scripts/go/trigger-check), on both of its paths: the event it raises (the Rollout
 * as it was before the event) and the change it watches. The moments asked about here are ones the
 * e2e suite meets only by timing: a change of the Rollout seen while its analysis has already
 * failed, or a progress deadline passed, but the abort is not yet recorded.
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

function verdict(c: Case): { readonly event: boolean; readonly watch: boolean } {
    const [result] = check([c]);
    assert.ok(result !== undefined && !("error" in result), `trigger-check: ${JSON.stringify(result)}`);
    return result;
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
    readonly pauseConditions?: readonly unknown[];
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
            progressDeadlineAbort: true,
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
    describe("on-rollout-aborted: once per abort, on its first event", () => {
        const onEvent = { event: true, watch: false };
        const never = { event: false, watch: false };

        it("sends on the event of an abort not yet recorded: a failed analysis, a passed deadline", () => {
            assert.deepEqual(verdict(aborted(rollout({ stepIndex: 2 }), [analysisRun("Failed")])), onEvent);
            assert.deepEqual(verdict(aborted(rollout({ stepIndex: 2 }), [analysisRun("Error")])), onEvent);
            assert.deepEqual(verdict(aborted(rollout())), onEvent, "a canary past its deadline at setWeight 20");
            assert.deepEqual(verdict(aborted(rollout({ canary: false }))), onEvent, "a blue/green Rollout past its deadline");
        });

        it("does not send on the second event of a deadline's abort, nor for an abort by a person: the abort is recorded", () => {
            assert.deepEqual(verdict(aborted(rollout({ abort: true, progressing: { reason: "ProgressDeadlineExceeded", status: "False", secondsAgo: 1 } }))), never);
            assert.deepEqual(verdict(aborted(rollout({ abort: true, stepIndex: 2 }), [analysisRun("Failed")])), never);
        });

        it("never sends on a change of the Rollout, though its analysis has failed or its deadline passed", () => {
            // The change path reads the AnalysisRuns live and may hold a Rollout a moment older than
            // the abort: sending there as well would announce the abort twice.
            for (const c of [
                aborted(rollout({ stepIndex: 2 }), [analysisRun("Failed")]),
                aborted(rollout()),
                aborted(rollout({ progressing: { reason: "NewReplicaSetAvailable", secondsAgo: 3600 } })),
                aborted(rollout({ generation: 5, observedGeneration: "4" })),
                aborted(rollout({ stepIndex: 1, pauseConditions: [{ reason: "CanaryPauseStep", startTime: ago(60) }] })),
            ]) {
                assert.equal(verdict(c).watch, false, JSON.stringify(c.rollout.status));
            }
        });
    });

    it("sends the triggers without a condition on their event alone, never on a change", () => {
        const verdicts = check((["on-rollout-completed", "on-rollout-step-completed", "on-analysis-run-failed"] as const)
            .map((trigger) => ({ trigger, rollout: rollout() })));
        assert.deepEqual(verdicts, [{ event: true, watch: false }, { event: true, watch: false }, { event: true, watch: false }]);
    });
});
