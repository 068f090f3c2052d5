/**
 * A release judged by real metrics, end to end: `rollout-bot release --wait` of a healthy image
 * until the Rollout is Healthy, and of a failing one until the controller has aborted it, on the
 * real rollouts controller and a loopback Prometheus (as test/e2e/analysis.e2e.ts). Set against
 * the waiting the canary's own config asks for (pauses and measurements), the rest is the cost of
 * `pulumi up`, the controller's reconcile loop and the bot's polling.
 */
import * as assert from "node:assert/strict";
import { BotRun, botRunner } from "../test/e2e/support/bot";
import { engineEnv, withStack } from "../test/e2e/support/engine";
import { Cluster } from "../test/e2e/support/kube";
import {
    CANARY_STEPS, CONFIGURED_SECONDS, environmentConfig, HEALTHY, image, SERVICE, startMetrics,
} from "../test/e2e/support/releaseScenario";
import { median, timed } from "./measure";

export interface ReleaseRow {
    /** How the release ended: promoted to Healthy, or aborted by a failed analysis. */
    readonly outcome: "Healthy" | "aborted";
    readonly measuredMs: number;
    readonly configuredMs: number;
}

const STACK = "bench-release";
const NAMESPACE = "bench-release";

function expectExit(run: BotRun, code: number, what: string): void {
    assert.equal(run.code, code, `${what}: expected exit ${code}:\n${run.stderr}`);
}

export async function benchRelease(runs: number): Promise<ReleaseRow[]> {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    const bot = botRunner(engineEnv());
    const metrics = await startMetrics(cluster, [NAMESPACE]);
    try {
        const config = environmentConfig(NAMESPACE, { canary: { steps: CANARY_STEPS } }, metrics.prometheus.address);
        return await withStack(STACK, config, async (stack) => {
            await stack.up();
            await cluster.rolloutPhase(NAMESPACE, SERVICE, "Healthy");
            const healthy: number[] = [];
            const aborted: number[] = [];
            const release = (tag: string) => bot(["release", STACK, "--image", `${SERVICE}=${image(tag)}`, "--wait", "--timeout", "5m"]);
            for (let run = 0; run < runs; run++) {
                const good = `good-${run}`;
                metrics.source.setProfile(image(good), HEALTHY);
                healthy.push(await timed(async () => expectExit(await release(good), 0, `release ${good}`)));

                const bad = `bad-${run}`;
                metrics.source.setProfile(image(bad), { ...HEALTHY, errorRatio: 0.3 });
                aborted.push(await timed(async () => expectExit(await release(bad), 6, `release ${bad}`)));
                expectExit(await bot(["undo", STACK, SERVICE, "--wait", "--timeout", "2m"]), 0, "undo");
            }
            return [
                { outcome: "Healthy", measuredMs: median(healthy), configuredMs: CONFIGURED_SECONDS.healthy * 1000 },
                { outcome: "aborted", measuredMs: median(aborted), configuredMs: CONFIGURED_SECONDS.aborted * 1000 },
            ];
        });
    } finally {
        await metrics.stop();
    }
}
