import * as assert from "node:assert/strict";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { RolloutStrategySpec } from "../../lib/argoTypes";
import {
    CanaryStrategy, DeliveryStrategy, ingressBackend, rolloutServiceNames, rolloutStrategy,
} from "../../lib/rolloutStrategy";
import { PROD_CANARY_STEPS } from "../support/prodCanary";

const prodCanary: CanaryStrategy = {
    steps: PROD_CANARY_STEPS,
    maxSurge: "25%",
    maxUnavailable: 0,
    dynamicStableScale: false,
};

const measuresCanaryOf = (service: string) => [
    { name: "service-name", value: service },
    { name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } },
];

/** A Rollout of the strategy, as small as the schema allows, for the model to validate. */
function rolloutOf(strategy: RolloutStrategySpec): Rollout {
    return new Rollout({
        metadata: { name: "cart-service" },
        spec: {
            selector: { matchLabels: { "app.kubernetes.io/name": "cart-service" } },
            template: { metadata: { labels: { "app.kubernetes.io/name": "cart-service" } }, spec: { containers: [{ name: "app", image: "acme/cart:v1" }] } },
            strategy,
        },
    });
}

describe("rollout strategy", () => {
    it("turns the prod canary into stable and canary Services and exactly its steps, analysing the canary ReplicaSet", () => {
        assert.deepEqual(rolloutStrategy("cart-service", { canary: prodCanary }), {
            canary: {
                stableService: "cart-service-stable",
                canaryService: "cart-service-canary",
                maxSurge: "25%",
                maxUnavailable: 0,
                steps: [
                    { setWeight: 20 },
                    { pause: { duration: "2m" } },
                    { analysis: { templates: [{ templateName: "success-rate" }], args: measuresCanaryOf("cart-service") } },
                    { setWeight: 50 },
                    { pause: { duration: "2m" } },
                    { setWeight: 100 },
                ],
            },
        });
    });

    it("keeps a pause without duration indefinite and passes setCanaryScale through", () => {
        const strategy = rolloutStrategy("cart-service", { canary: { ...prodCanary, steps: [{ pause: {} }, { setCanaryScale: { replicas: 2 } }] } });
        assert.deepEqual(strategy.canary?.steps, [{ pause: {} }, { setCanaryScale: { replicas: 2 } }]);
    });

    it("turns blue/green into active and preview Services with its promotion settings and analyses", () => {
        const strategy: DeliveryStrategy = {
            blueGreen: {
                autoPromotionEnabled: true,
                autoPromotionSeconds: 60,
                scaleDownDelaySeconds: 30,
                previewReplicaCount: 1,
                prePromotionAnalysis: { templates: ["success-rate", "latency-p99"] },
            },
        };
        assert.deepEqual(rolloutStrategy("order-service", strategy), {
            blueGreen: {
                activeService: "order-service",
                previewService: "order-service-preview",
                autoPromotionEnabled: true,
                autoPromotionSeconds: 60,
                scaleDownDelaySeconds: 30,
                previewReplicaCount: 1,
                prePromotionAnalysis: {
                    templates: [{ templateName: "success-rate" }, { templateName: "latency-p99" }],
                    args: measuresCanaryOf("order-service"),
                },
            },
        });
        assert.deepEqual(rolloutServiceNames("order-service", strategy),
            { kind: "blueGreen", active: "order-service", preview: "order-service-preview", metrics: "order-service-metrics" });
        assert.equal(ingressBackend("order-service", strategy), "order-service");
    });

    it("splits by replica ratio unless NGINX routing is asked for, then routes through the service's own Ingress", () => {
        const ratio = rolloutStrategy("cart-service", { canary: prodCanary });
        assert.equal(ratio.canary?.trafficRouting, undefined);
        assert.equal(ingressBackend("cart-service", { canary: prodCanary }), "cart-service");

        const routed: DeliveryStrategy = {
            canary: {
                ...prodCanary,
                scaleDownDelaySeconds: 30,
                trafficRouting: { nginx: { additionalIngressAnnotations: { "canary-by-header": "X-Canary" } } },
            },
        };
        const canary = rolloutStrategy("cart-service", routed).canary;
        assert.deepEqual(canary?.trafficRouting, {
            nginx: { stableIngress: "cart-service", additionalIngressAnnotations: { "canary-by-header": "X-Canary" } },
        });
        assert.equal(canary?.scaleDownDelaySeconds, 30);
        assert.equal(ingressBackend("cart-service", routed), "cart-service-stable");
    });

    it("writes only what is set, so the controller's defaults apply to the rest", () => {
        const canary = rolloutStrategy("cart-service", { canary: prodCanary }).canary ?? {};
        for (const field of ["scaleDownDelaySeconds", "abortScaleDownDelaySeconds", "dynamicStableScale", "trafficRouting"]) {
            assert.ok(!(field in canary), `${field} is set`);
        }
        const blueGreen = rolloutStrategy("cart-service", { blueGreen: { autoPromotionEnabled: false, scaleDownDelaySeconds: 30 } }).blueGreen ?? {};
        assert.deepEqual(Object.keys(blueGreen).sort(), ["activeService", "autoPromotionEnabled", "previewService", "scaleDownDelaySeconds"]);
    });

    it("produces strategies the Argo Rollouts schema accepts", () => {
        const strategies: DeliveryStrategy[] = [
            { canary: prodCanary },
            { canary: { ...prodCanary, dynamicStableScale: true, abortScaleDownDelaySeconds: 10, trafficRouting: { nginx: {} }, steps: [{ setCanaryScale: { matchTrafficWeight: true } }, { setWeight: 10 }] } },
            { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 30, postPromotionAnalysis: { templates: ["latency-p99"] } } },
        ];
        for (const strategy of strategies) {
            rolloutOf(rolloutStrategy("cart-service", strategy)).validate();
        }
    });
});
