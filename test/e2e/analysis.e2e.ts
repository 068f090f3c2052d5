import * as assert from "node:assert/strict";
import { Stack } from "@pulumi/pulumi/automation";
import type { AnalysisVerdict } from "../../bot/rollouts/analysis";
import type { FollowedRollout } from "../../bot/rollouts/follow";
import { EXIT } from "../../bot/errors";
import { platformAlertRules } from "../../lib/alertRules";
import { DEFAULT_APP_METRICS } from "../../lib/appMetrics";
import { BotRun, botRunner, failed, succeeded } from "./support/bot";
import { dashboardQueries } from "./support/dashboardQueries";
import { changesByOp, engineEnv, stepRecorder, withStack } from "./support/engine";
import { Cluster } from "./support/kube";
import {
    CANARY_STEPS, environmentConfig, HEALTHY, image, LATENCY_P99_MS, Metrics, SERVICE, startMetrics,
} from "./support/releaseScenario";

/**
 * Releases judged by real metrics: the project's own AnalysisTemplates, run by the real Argo Rollouts
 * controller against a real Prometheus, which scrapes the series a real scrape of the services
 * would give it (test/e2e/support/metricsSource.ts) and the controller's own metrics. The steps and
 * conditions are prod's (docs/progressive-delivery.md); only the durations are shortened.
 */

interface ReleaseResult { readonly rollouts: readonly FollowedRollout[] }
interface UndoResult extends ReleaseResult { readonly from: string | null; readonly to: string | null }

describe("releases judged by real metrics", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    const bot = botRunner(engineEnv());
    const namespaces = ["e2e-analysis", "e2e-bluegreen", "e2e-nginx"];
    let metrics: Metrics;

    before(async () => {
        metrics = await startMetrics(cluster, namespaces);
    });

    after(async () => {
        await metrics?.stop();
    });

    function environment(namespace: string, strategy: unknown, analysis: Record<string, unknown> = {}): Record<string, unknown> {
        return environmentConfig(namespace, strategy, metrics.prometheus.address, analysis);
    }

    /** `release --wait` of one image of cart-service, as the release bot runs it. */
    function release(stackName: string, tag: string): Promise<BotRun> {
        return bot(["release", stackName, "--image", `${SERVICE}=${image(tag)}`, "--wait", "--timeout", "4m"]);
    }

    /** The images of the service's pods that are Running now. */
    async function runningImages(namespace: string): Promise<string[]> {
        const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${SERVICE}` })).items;
        return pods.filter((pod) => pod.status?.phase === "Running" && pod.metadata?.deletionTimestamp === undefined)
            .map((pod) => pod.spec!.containers[0]!.image!);
    }

    function verdicts(result: ReleaseResult): AnalysisVerdict[] {
        return result.rollouts.flatMap((rollout) => rollout.analysis);
    }

    /** The next preview of the stack changes nothing: config and cluster agree. */
    async function assertNoChange(stack: Stack): Promise<void> {
        const recorder = stepRecorder();
        await stack.preview({ onEvent: recorder.onEvent });
        assert.deepEqual(changesByOp(recorder.steps), {});
    }

    describe("canary (prod's steps and conditions)", () => {
        const stackName = "env-e2e-analysis";
        const namespace = "e2e-analysis";

        it("promotes a healthy canary on its analysis, aborts a failing or slow one by itself, and pauses on no traffic", async () => {
            await withStack(stackName, environment(namespace, { canary: { steps: CANARY_STEPS } }), async (stack) => {
                await stack.up();
                await cluster.rolloutPhase(namespace, SERVICE, "Healthy");

                // Healthy: 20 → pause → analysis Successful → 50 → pause → 100, with no promote.
                metrics.source.setProfile(image("v2"), HEALTHY);
                const healthy = await release(stackName, "v2");
                const released = succeeded<ReleaseResult>(healthy);
                assert.deepEqual(released.rollouts.map((r) => [r.name, r.phase, r.step]), [[SERVICE, "Healthy", "6/6"]]);
                const [run] = verdicts(released);
                assert.equal(run?.phase, "Successful");
                const byMetric = new Map(run!.metrics.map((m) => [m.name, m]));
                assert.deepEqual([...byMetric.keys()].sort(), ["latency-p99", "success-rate"]);
                for (const value of byMetric.get("success-rate")!.measured) {
                    assert.ok(value > 0.999 && value <= 1, `success rate ${value} is the healthy profile's 0.9995`);
                }
                for (const value of byMetric.get("latency-p99")!.measured) {
                    assert.ok(value > 0 && value <= 100, `p99 ${value} ms is the healthy profile's 80 ms`);
                }
                assert.match(healthy.stderr, /success-rate Successful: measured 0\.99\d+.*; passes when result\[0\] >= 0\.99/);
                assert.deepEqual(new Set(await runningImages(namespace)), new Set([image("v2")]));

                // Failing: the canary answers 30 % of its requests with a 5xx while the stable version stays clean.
                metrics.source.setProfile(image("v3"), { ...HEALTHY, errorRatio: 0.3 });
                const failing = failed(await release(stackName, "v3"), EXIT.rollout);
                assert.match(failing.error, /cart-service is Degraded \(aborted\): analysis \S+ Failed: success-rate Failed: measured 0\.7\d*/);
                assert.match(failing.error, /fails when result\[0\] < 0\.99/);
                const aborted = await cluster.rolloutPhase(namespace, SERVICE, "Degraded");
                assert.equal(aborted.abort, true);
                await cluster.eventually("every pod back on the stable image", async () =>
                    (await runningImages(namespace)).every((ref) => ref === image("v2")) ? true : undefined);

                // undo moves the config back to the stable image; config and cluster agree again.
                const undone = succeeded<UndoResult>(await bot(["undo", stackName, SERVICE, "--wait", "--timeout", "2m"]));
                assert.deepEqual([undone.from, undone.to], [image("v3"), image("v2")]);
                assert.deepEqual(undone.rollouts.map((r) => r.phase), ["Healthy"]);
                await assertNoChange(stack);

                // Slow: no errors, but a p99 of 900 ms against prod's 300 ms.
                metrics.source.setProfile(image("v4"), { ...HEALTHY, p99Ms: 900 });
                const slow = failed(await release(stackName, "v4"), EXIT.rollout);
                assert.match(slow.error, /latency-p99 Failed: measured (\d+(\.\d+)?)(, \d+(\.\d+)?)*; fails when result\[0\] > 300/);
                const measured = Number(/latency-p99 Failed: measured (\d+(?:\.\d+)?)/.exec(slow.error)![1]);
                assert.ok(measured > LATENCY_P99_MS && measured <= 1000, `p99 ${measured} ms is the slow profile's 900 ms`);
                assert.equal((await cluster.rolloutPhase(namespace, SERVICE, "Degraded")).abort, true);
                succeeded(await bot(["undo", stackName, SERVICE, "--wait", "--timeout", "2m"]));

                // No traffic: nothing to judge, so the controller pauses and the bot says so (exit 7), not a hang.
                metrics.source.setProfile(image("v5"), { requestsPerSecond: 0, errorRatio: 0, p99Ms: 80 });
                const idle = failed(await release(stackName, "v5"), EXIT.inconclusive);
                assert.match(idle.error, /cart-service is paused: analysis \S+ Inconclusive: .*measured no data/);
                assert.match(idle.error, /`promote` to go on, `abort` to go back/);
                const paused = await cluster.rolloutPhase(namespace, SERVICE, "Paused");
                assert.deepEqual(paused.pauseConditions?.map((c) => c.reason), ["InconclusiveAnalysisRun"]);
            });
        });
    });

    describe("blue/green with pre-promotion analysis (dev's flow)", () => {
        const stackName = "env-e2e-bluegreen";
        const namespace = "e2e-bluegreen";
        const strategy = { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 0, prePromotionAnalysis: { templates: ["success-rate"] } } };

        it("never promotes a failing preview and promotes a healthy one", async () => {
            // The analysis starts as soon as the preview pods are ready, before Prometheus has two
            // samples of them to take a rate from: without an initial delay it measures no data.
            await withStack(stackName, environment(namespace, strategy, { initialDelay: "10s" }), async (stack) => {
                await stack.up();
                const first = await cluster.rolloutPhase(namespace, SERVICE, "Healthy");

                metrics.source.setProfile(image("v2"), { ...HEALTHY, errorRatio: 0.25 });
                const bad = failed(await release(stackName, "v2"), EXIT.rollout);
                assert.match(bad.error, /success-rate Failed: measured 0\.7\d*.*fails when result\[0\] < 0\.99/);
                const aborted = await cluster.rolloutPhase(namespace, SERVICE, "Degraded");
                assert.equal(aborted.blueGreen?.activeSelector, first.stableRS, "the active Service still selects the first version");
                assert.equal((await activeSelector()), first.stableRS);

                metrics.source.setProfile(image("v3"), HEALTHY);
                const good = succeeded<ReleaseResult>(await release(stackName, "v3"));
                assert.deepEqual(good.rollouts.map((r) => r.phase), ["Healthy"]);
                assert.deepEqual(verdicts(good).map((v) => v.phase), ["Successful"]);
                const promoted = await cluster.rolloutPhase(namespace, SERVICE, "Healthy");
                assert.equal((await cluster.rolloutReplicaSets(namespace, SERVICE)).get(promoted.stableRS!)?.image, image("v3"));
                assert.equal(await activeSelector(), promoted.stableRS);
            });

            /** The pod-template hash the active Service sends traffic to. */
            async function activeSelector(): Promise<string | undefined> {
                const service = await cluster.core.readNamespacedService({ namespace, name: SERVICE });
                return service.spec?.selector?.["rollouts-pod-template-hash"];
            }
        });
    });

    describe("nginx traffic routing", () => {
        const stackName = "env-e2e-nginx";
        const namespace = "e2e-nginx";
        const strategy = {
            canary: {
                steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
                trafficRouting: { nginx: {} },
            },
        };
        /** The Ingress the controller clones from the service's own: `<rollout>-<stable Ingress>-canary`. */
        const canaryIngress = `${SERVICE}-${SERVICE}-canary`;

        async function canaryWeight(): Promise<string | undefined> {
            const ingress = await cluster.networking.readNamespacedIngress({ namespace, name: canaryIngress });
            assert.equal(ingress.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary"], "true");
            return ingress.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary-weight"];
        }

        async function weightAt(stepIndex: number, weight: string): Promise<void> {
            await cluster.eventually(`the canary Ingress at weight ${weight} on step ${stepIndex}`, async () => {
                const { status } = await cluster.rollout(namespace, SERVICE);
                return status.phase === "Paused" && status.currentStepIndex === stepIndex && await canaryWeight() === weight ? true : undefined;
            });
        }

        it("sets the canary Ingress's weight at every step, back to 0 on abort; every dashboard query evaluates meanwhile", async () => {
            await withStack(stackName, environment(namespace, strategy), async (stack) => {
                await stack.up();
                await cluster.rolloutPhase(namespace, SERVICE, "Healthy");
                metrics.source.setProfile(image("v2"), { ...HEALTHY, errorRatio: 0.02 });
                succeeded(await bot(["release", stackName, "--image", `${SERVICE}=${image("v2")}`]));
                await weightAt(1, "20");
                succeeded(await bot(["promote", stackName, SERVICE]));
                await weightAt(3, "50");

                await assertDashboardsEvaluate(namespace);

                succeeded(await bot(["abort", stackName, SERVICE]));
                await cluster.rolloutPhase(namespace, SERVICE, "Degraded");
                await cluster.eventually("the canary Ingress back at weight 0", async () => (await canaryWeight() === "0" ? true : undefined));
            });
        });

        /**
         * Every PromQL expression of every dashboard panel and variable evaluates without error
         * against the real Prometheus, and those over series this cluster has return data: a canary
         * at 50 % with stable and canary pods serving, the controller's and kube-state's series.
         */
        async function assertDashboardsEvaluate(ns: string): Promise<void> {
            const queries = dashboardQueries({ variables: { namespace: ns, rollout: SERVICE, service: SERVICE } });
            assert.ok(queries.length >= 10, `expected the dashboards' queries, got ${queries.length}`);
            // Let the rate windows fill with the canary's samples before reading them.
            await metrics.prometheus.waitForData(`sum(rate(${DEFAULT_APP_METRICS.requests}{namespace="${ns}"}[1m])) > 0`);
            const empty: string[] = [];
            for (const query of queries) {
                const result = await metrics.prometheus.query(query.expr);
                const samples = result.resultType === "vector" ? result.samples.length : result.resultType === "matrix" ? result.series.length : 1;
                if (samples === 0) {
                    empty.push(`${query.dashboard} / ${query.panel} / ${query.refId}: ${query.expr}`);
                }
            }
            assert.deepEqual(empty, [], "panels without data although the cluster has their series");
        }
    });

    it("evaluates every alert rule on the real Prometheus without error", async () => {
        const spec = platformAlertRules({ appMetrics: DEFAULT_APP_METRICS, canaryErrorMargin: 0.01 });
        for (const group of spec.groups ?? []) {
            for (const rule of group.rules ?? []) {
                await metrics.prometheus.query(String(rule.expr));
            }
        }
    });
});
