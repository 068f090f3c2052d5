/**
 * Fast rollback, end to end: two environments shaped like prod's canary (its steps with 10 s
 * pauses, its success-rate analysis judged by a loopback Prometheus as in the release table, its
 * progress deadline), one with `rollbackWindow: 3` as prod and one without. On each,
 * `rollout-bot release --wait` of a new image walks every step to Healthy, and `undo --wait` goes
 * back to the previous image: straight there within the window, through every step again without
 * it. The runs alternate between the two environments.
 *
 * The bench checks on the Rollout itself that the fast undo skipped the steps (never Paused, no
 * step between the first and the last, no new AnalysisRun) and that the other one walked them,
 * and fails the run when either is not so: a fast figure from an undo that happened not to pause
 * would be a lie.
 */
import * as assert from "node:assert/strict";
import type { RolloutSummary } from "../bot/rollouts/status";
import { BotRunner, botRunner, succeeded } from "../test/e2e/support/bot";
import { engineEnv, withStack } from "../test/e2e/support/engine";
import { Cluster } from "../test/e2e/support/kube";
import { environmentConfig, image, SERVICE, startMetrics } from "../test/e2e/support/releaseScenario";
import { median, timed } from "./measure";

/** Seconds of each timed pause, and the analysis's measurements: prod's 4 × 30 s as 3 × 5 s, as in the release table. */
const PAUSE_S = 10;
const INTERVAL_S = 5;
const COUNT = 3;
/** Pulumi.prod.yaml's canary with the pauses shortened. */
const STEPS = [
    { setWeight: 20 }, { pause: { duration: `${PAUSE_S}s` } }, { analysis: { templates: ["success-rate"] } },
    { setWeight: 50 }, { pause: { duration: `${PAUSE_S}s` } }, { setWeight: 100 },
];
/** What the steps wait for by their config: both pauses and the measurements after the first. */
const WALK_S = 2 * PAUSE_S + (COUNT - 1) * INTERVAL_S;
/**
 * The release goes to v2 and the undo back to v1 every run. The controller counts the window in
 * ReplicaSets created between the target's and the stable one, and a rollback does not make the
 * target's newer, so a fresh tag per run would push v1 out of a window of 3 by the fourth run.
 * v2's ReplicaSet is newer than v1's, so releasing it again is a release, not a rollback: a full walk.
 */
const RELEASED = image("v2");
const PREVIOUS = image("v1");

interface Environment {
    readonly stack: string;
    readonly label: string;
    readonly rollbackWindow?: number;
    /** Whether its undo must skip the steps. */
    readonly fast: boolean;
}

const ENVIRONMENTS: readonly Environment[] = [
    { stack: "bench-rollback-window", label: "rollbackWindow: 3", rollbackWindow: 3, fast: true },
    { stack: "bench-rollback-walk", label: "no rollbackWindow", fast: false },
];

export interface RollbackRow {
    /** The release is the full walk the environment's undo is set against. */
    readonly kind: "release" | "undo";
    readonly action: string;
    readonly environment: string;
    readonly configuredMs: number;
    readonly measuredMs: number;
}

interface UndoResult { readonly from: string | null; readonly to: string | null; readonly rollouts: readonly RolloutSummary[] }

/** What a Rollout showed while one update of its spec was being carried out. */
interface Walked {
    /** Statuses seen for the new spec (observedGeneration caught up). */
    readonly observed: number;
    readonly paused: boolean;
    /** Step indexes it reported, in order of first sight. */
    readonly steps: readonly number[];
    readonly newAnalysisRuns: readonly string[];
}

async function analysisRuns(cluster: Cluster, namespace: string): Promise<Set<string>> {
    const list = await cluster.custom.listNamespacedCustomObject({
        group: "argoproj.io", version: "v1alpha1", namespace, plural: "analysisruns",
    }) as { items: { metadata: { name: string } }[] };
    return new Set(list.items.map((run) => run.metadata.name));
}

/**
 * Polls the Rollout every 200 ms while `action` runs: whether it paused, the steps it reported,
 * and which AnalysisRuns appeared. Only statuses of a spec newer than the one before count
 * (the controller reports the old spec's status until it has seen the new one). The 10 s pauses
 * cannot slip between two polls.
 */
async function watchWhile(cluster: Cluster, namespace: string, action: () => Promise<void>): Promise<Walked> {
    const runsBefore = await analysisRuns(cluster, namespace);
    const generationBefore = (await cluster.rollout(namespace, SERVICE)).generation ?? 0;
    let observed = 0;
    let paused = false;
    const steps = new Set<number>();
    let done = false;
    const poll = (async () => {
        while (!done) {
            const { generation, status } = await cluster.rollout(namespace, SERVICE);
            if (generation !== undefined && generation > generationBefore && String(generation) === status.observedGeneration) {
                observed++;
                paused ||= status.phase === "Paused" || (status.pauseConditions?.length ?? 0) > 0;
                if (status.currentStepIndex !== undefined) {
                    steps.add(status.currentStepIndex);
                }
            }
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
    })();
    try {
        await action();
    } finally {
        done = true;
        await poll;
    }
    const runsAfter = await analysisRuns(cluster, namespace);
    return { observed, paused, steps: [...steps], newAnalysisRuns: [...runsAfter].filter((name) => !runsBefore.has(name)) };
}

/**
 * Fails the bench unless the undo did what its environment promises: skip every step, or walk them.
 * Either way the controller first reports step 0 for the new revision; a skip then jumps to the
 * end, while a walk stands at the pause (step 1) for 10 s.
 */
function checkUndo(environment: Environment, walked: Walked): void {
    const between = walked.steps.filter((step) => step > 0 && step < STEPS.length);
    const seen = `paused: ${walked.paused}, steps: [${walked.steps.join(", ")}], new AnalysisRuns: [${walked.newAnalysisRuns.join(", ")}], ` +
        `statuses of the new spec: ${walked.observed}`;
    if (walked.observed === 0) {
        throw new Error(`${environment.stack}: never saw the controller report on the undo's spec, so whether it skipped the steps is unknown`);
    }
    if (environment.fast) {
        if (walked.paused || between.length > 0 || !walked.steps.includes(STEPS.length) || walked.newAnalysisRuns.length > 0) {
            throw new Error(`${environment.stack}: the undo within rollbackWindow did not skip the steps (${seen}); its time is not a fast rollback`);
        }
    } else if (!walked.paused || between.length === 0 || walked.newAnalysisRuns.length === 0) {
        throw new Error(`${environment.stack}: the undo without rollbackWindow did not walk the steps (${seen}); the contrast, and the check above, are void`);
    }
}

async function releaseAndUndo(cluster: Cluster, bot: BotRunner, environment: Environment): Promise<{ releaseMs: number; undoMs: number }> {
    const namespace = environment.stack;
    const releaseMs = await timed(async () => {
        const released = succeeded<{ rollouts: readonly RolloutSummary[] }>(
            await bot(["release", environment.stack, "--image", `${SERVICE}=${RELEASED}`, "--wait", "--timeout", "5m"]));
        assert.deepEqual(released.rollouts.map((r) => [r.phase, r.images]), [["Healthy", [RELEASED]]], `${environment.stack}: release`);
    });
    let undoMs = 0;
    const walked = await watchWhile(cluster, namespace, async () => {
        undoMs = await timed(async () => {
            const undone = succeeded<UndoResult>(await bot(["undo", environment.stack, SERVICE, "--wait", "--timeout", "5m"]));
            assert.deepEqual(undone.rollouts.map((r) => [r.phase, r.images]), [["Healthy", [PREVIOUS]]], `${environment.stack}: undo`);
        });
    });
    checkUndo(environment, walked);
    return { releaseMs, undoMs };
}

/** Opens every environment's stack (each destroyed and removed afterwards, whatever happens) and runs `body` with them up. */
async function withEnvironments<T>(environments: readonly Environment[], prometheusAddress: string, cluster: Cluster, body: () => Promise<T>): Promise<T> {
    const [first, ...rest] = environments;
    if (first === undefined) {
        return body();
    }
    const config = environmentConfig(first.stack, { canary: { steps: STEPS } }, prometheusAddress, { interval: `${INTERVAL_S}s`, count: COUNT });
    const environment = {
        ...(config.environment as Record<string, unknown>),
        progressDeadlineSeconds: 600, progressDeadlineAbort: true,
        ...(first.rollbackWindow === undefined ? {} : { rollbackWindow: first.rollbackWindow }),
    };
    return withStack(first.stack, { ...config, environment }, async (stack) => {
        await stack.up();
        await cluster.rolloutPhase(first.stack, SERVICE, "Healthy");
        return withEnvironments(rest, prometheusAddress, cluster, body);
    });
}

export async function benchRollback(runs: number): Promise<RollbackRow[]> {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    const bot = botRunner(engineEnv());
    const metrics = await startMetrics(cluster, ENVIRONMENTS.map((e) => e.stack));
    try {
        return await withEnvironments(ENVIRONMENTS, metrics.prometheus.address, cluster, async () => {
            const samples = new Map(ENVIRONMENTS.map((e) => [e, { release: [] as number[], undo: [] as number[] }]));
            for (let run = 0; run < runs; run++) {
                const order = run % 2 === 0 ? ENVIRONMENTS : [...ENVIRONMENTS].reverse();
                for (const environment of order) {
                    const { releaseMs, undoMs } = await releaseAndUndo(cluster, bot, environment);
                    samples.get(environment)!.release.push(releaseMs);
                    samples.get(environment)!.undo.push(undoMs);
                }
            }
            return ENVIRONMENTS.flatMap((environment): RollbackRow[] => {
                const { release, undo } = samples.get(environment)!;
                return [
                    {
                        kind: "release", action: "release --wait (full walk)",
                        environment: environment.label, configuredMs: WALK_S * 1000, measuredMs: median(release),
                    },
                    {
                        kind: "undo", action: environment.fast ? "undo --wait (steps skipped)" : "undo --wait (walks every step)",
                        environment: environment.label, configuredMs: environment.fast ? 0 : WALK_S * 1000, measuredMs: median(undo),
                    },
                ];
            });
        });
    } finally {
        await metrics.stop();
    }
}

/** The configured waiting of the steps, for the table's caption. */
export const ROLLBACK_STEPS_CAPTION =
    `prod's canary: 20 %, pause ${PAUSE_S} s, success-rate analysis of ${COUNT} measurements ${INTERVAL_S} s apart, 50 %, pause ${PAUSE_S} s, 100 %; ` +
    `5 replicas, progress deadline 600 s with abort`;
