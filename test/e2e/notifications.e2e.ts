import * as assert from "node:assert/strict";
import { EXIT } from "../../bot/errors";
import { botRunner, failed, succeeded } from "./support/bot";
import { engineEnv, withStack } from "./support/engine";
import { Cluster } from "./support/kube";
import { CANARY_STEPS, environmentConfig, HEALTHY, image, Metrics, SERVICE, startMetrics } from "./support/releaseScenario";
import { ReceivedRequest, WebhookReceiver } from "./support/webhookReceiver";

/**
 * Release notifications sent by the real Argo Rollouts controller's notification engine, from the
 * ConfigMap, Secret and Rollout annotations the program writes, to a webhook on the loopback address:
 * exactly the notifications each kind of release should send, with the service, the image and the
 * reason in the payload. prod's canary and analysis (releaseScenario.ts) with short durations, and a
 * progress deadline of 15 s that aborts.
 */

const STACK = "notify-e2e";
const NAMESPACE = "notify-e2e";
const WEBHOOK = "e2e";
const PATH = "/hooks/releases";
/** Sent as a header value from the notification Secret; must arrive, and never be shown. */
const SENTINEL = "notify-e2e-sentinel-7c1b9d";
const DEADLINE_SECONDS = 15;
const TRIGGERS = ["on-rollout-completed", "on-rollout-aborted", "on-analysis-run-failed", "on-rollout-step-completed"] as const;

interface Payload {
    readonly event: string;
    readonly service: string;
    readonly environment: string;
    readonly image: string;
    readonly previousImage: string | null;
    readonly revision: string;
    readonly step?: { readonly number: number; readonly of: number; readonly spec: unknown } | null;
    readonly reason?: string | null;
}

describe("release notifications through the rollouts controller", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    const bot = botRunner(engineEnv());
    let receiver: WebhookReceiver;
    let metrics: Metrics;

    before(async () => {
        receiver = await WebhookReceiver.start();
        metrics = await startMetrics(cluster, [NAMESPACE]);
    });

    after(async () => {
        await receiver?.stop();
        await metrics?.stop();
    });

    function payloads(requests: readonly ReceivedRequest[]): Payload[] {
        return requests.filter((r) => r.path === PATH).map((r) => {
            assert.equal(r.method, "POST", `a ${r.method} to ${r.path}`);
            assert.equal(r.headers.authorization, `Bearer ${SENTINEL}`, "the header value from the notification Secret");
            assert.ok(r.json !== undefined, `the body is JSON: ${r.body}`);
            return r.json as Payload;
        });
    }

    /** Payloads received since `sinceMs`, once no new one has come for 5 s (the controller retries and re-reconciles). */
    async function settled(sinceMs: number, expected: number): Promise<Payload[]> {
        await receiver.waitFor(`${expected} notifications`, (requests) =>
            requests.filter((r) => r.at >= sinceMs && r.path === PATH).length >= expected ? true : undefined, 180_000);
        let count = -1;
        for (;;) {
            const now = receiver.since(sinceMs, PATH).length;
            if (now === count) {
                return payloads(receiver.since(sinceMs));
            }
            count = now;
            await new Promise((resolve) => setTimeout(resolve, 5000));
        }
    }

    const config = () => {
        const base = environmentConfig(NAMESPACE, { canary: { steps: CANARY_STEPS } }, metrics.prometheus.address);
        return {
            ...base,
            environment: {
                ...(base.environment as Record<string, unknown>),
                progressDeadlineSeconds: DEADLINE_SECONDS,
                progressDeadlineAbort: true,
                notifications: { subscriptions: TRIGGERS.map((trigger) => ({ trigger, service: WEBHOOK })) },
            },
            platform: {
                argoRollouts: {
                    installVia: "external",
                    notifications: { webhooks: { [WEBHOOK]: { url: `${receiver.url}${PATH}`, headers: { Authorization: `Bearer ${SENTINEL}` } } } },
                },
                argoCd: { enabled: false },
                monitoring: { enabled: false },
                certManager: { enabled: false },
            },
        };
    };

    it("sends exactly each release's notifications: healthy, stuck at its deadline, failing its analysis", async () => {
        const started = Date.now();
        await withStack(STACK, config(), async (stack) => {
            // The URL and the header carry credentials in real use: the scenario keeps them as a user would.
            await stack.setConfig("rollout-stacks:platform", { value: JSON.stringify(config().platform), secret: true });
            const upAt = Date.now();
            await stack.up();
            await cluster.rolloutPhase(NAMESPACE, SERVICE, "Healthy");
            // The first revision goes straight to stable: one completed notification, no steps.
            const first = await settled(upAt, 1);
            assert.deepEqual(first.map((p) => [p.event, p.image, p.previousImage]), [["on-rollout-completed", image("v1"), null]]);

            // A release started longer than the progress deadline after the last one finished: its
            // new spec meets a status whose last progress is older than the deadline, and the Rollout
            // changes all along the canary; none of that is an abort.
            await new Promise((resolve) => setTimeout(resolve, (DEADLINE_SECONDS + 5) * 1000));

            // Healthy: every canary step, then completed, naming the service and its new image.
            metrics.source.setProfile(image("v2"), HEALTHY);
            const healthyAt = Date.now();
            succeeded(await bot(["release", STACK, "--image", `${SERVICE}=${image("v2")}`, "--wait", "--timeout", "4m"]));
            const healthy = await settled(healthyAt, CANARY_STEPS.length + 1);
            assert.deepEqual(healthy.map((p) => p.event), [...CANARY_STEPS.map(() => "on-rollout-step-completed"), "on-rollout-completed"]);
            // Each step as the Rollout spells it: its kind, and a weight as configured.
            assert.deepEqual(healthy.filter((p) => p.step !== undefined).map((p) => {
                const spec = p.step?.spec as Record<string, unknown>;
                return [p.step?.number, p.step?.of, Object.keys(spec)[0], spec.setWeight];
            }), CANARY_STEPS.map((step, index) => [index + 1, CANARY_STEPS.length, Object.keys(step)[0], (step as { setWeight?: number }).setWeight]));
            for (const payload of healthy) {
                assert.deepEqual([payload.service, payload.environment, payload.image, payload.previousImage], [SERVICE, NAMESPACE, image("v2"), image("v1")]);
            }

            // Stuck: the image never pulls, so no step completes; the deadline aborts it, once.
            const stuckImage = image("v3-kwok-missing");
            const stuckAt = Date.now();
            failed(await bot(["release", STACK, "--image", `${SERVICE}=${stuckImage}`, "--wait", "--timeout", "3m"]), EXIT.rollout);
            assert.equal((await cluster.rolloutPhase(NAMESPACE, SERVICE, "Degraded")).abort, true);
            const stuck = await settled(stuckAt, 1);
            assert.deepEqual(stuck.map((p) => [p.event, p.service, p.image, p.previousImage]), [["on-rollout-aborted", SERVICE, stuckImage, image("v2")]]);
            assert.match(stuck[0]!.reason ?? "", new RegExp(`^progress deadline of ${DEADLINE_SECONDS}s exceeded: no progress since \\S+ \\(ReplicaSet "${SERVICE}-\\w+" is progressing\\.\\)$`));

            succeeded(await bot(["undo", STACK, SERVICE, "--wait", "--timeout", "2m"]));
            await cluster.rolloutPhase(NAMESPACE, SERVICE, "Healthy");

            // Failing analysis: two steps, then the analysis fails and aborts the release.
            const failingImage = image("v4");
            metrics.source.setProfile(failingImage, { ...HEALTHY, errorRatio: 0.3 });
            const failingAt = Date.now();
            failed(await bot(["release", STACK, "--image", `${SERVICE}=${failingImage}`, "--wait", "--timeout", "4m"]), EXIT.rollout);
            const failing = await settled(failingAt, 4);
            assert.deepEqual(failing.map((p) => p.event).sort(),
                ["on-analysis-run-failed", "on-rollout-aborted", "on-rollout-step-completed", "on-rollout-step-completed"]);
            for (const payload of failing) {
                // The undo put v2 back, so v2 is what this release replaces.
                assert.deepEqual([payload.service, payload.image, payload.previousImage], [SERVICE, failingImage, image("v2")]);
            }
            for (const event of ["on-analysis-run-failed", "on-rollout-aborted"]) {
                const payload = failing.find((p) => p.event === event)!;
                assert.match(payload.reason ?? "", /^analysis \S+ Failed: success-rate Failed \(measured 0\.7\d*\)/, `${event}: ${payload.reason}`);
            }
        });
        const all = receiver.requests.map((r) => r.body).join("\n");
        assert.ok(all.length > 0);
        console.log(`      notifications scenario: ${Math.round((Date.now() - started) / 1000)} s`);
    });
});
