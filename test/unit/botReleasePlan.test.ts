import type { EngineEvent, OpType, PropertyDiff } from "@pulumi/pulumi/automation";
import * as assert from "node:assert/strict";
import { ReleasePlanCollector, renderReleasePlan, renderReleasePlanFailure } from "../../bot/releasePlan";
import { promotionRefusalMessage } from "../../lib/promotionGate";
import { assertGolden } from "../support/golden";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";

let sequence = 0;
const changed = { diffKind: "update", inputDiff: true } as PropertyDiff;

/** A resourcePreEvent of `pulumi preview` on prod, with the old and new inputs the engine sends. */
function step(op: OpType, type: string, name: string, inputs: { old?: object; new?: object }, detailedDiff: Record<string, PropertyDiff> = {}, keys?: string[]): EngineEvent {
    const urn = `urn:pulumi:prod::rollout-stacks::${type}::${name}`;
    const state = (values: object | undefined) => values === undefined ? undefined : { type, urn, id: "", parent: "", provider: "", inputs: values, outputs: {} };
    const oldState = state(inputs.old);
    const newState = state(inputs.new);
    return {
        sequence: sequence++, timestamp: 1_736_951_400,
        resourcePreEvent: { planning: true, metadata: {
            op, urn, type, provider: "",
            ...(oldState === undefined ? {} : { old: oldState }), ...(newState === undefined ? {} : { new: newState }),
            detailedDiff, diffs: Object.keys(detailedDiff).map((key) => key.split(".")[0]!),
            ...(keys === undefined ? {} : { keys }),
        } },
    };
}

const PROD_STEPS = [
    { setWeight: 20 }, { pause: { duration: "2m" } }, { analysis: { templates: [{ templateName: "success-rate" }, { templateName: "latency-p99" }] } },
    { setWeight: 50 }, { pause: { duration: "2m" } },
];

function rollout(name: string, image: string, restartedAt?: string, strategy: object = { canary: { steps: PROD_STEPS } }): object {
    return {
        metadata: { name },
        spec: {
            strategy,
            template: {
                metadata: { annotations: restartedAt === undefined ? {} : { "kubectl.kubernetes.io/restartedAt": restartedAt } },
                spec: { containers: [{ name, image }] },
            },
        },
    };
}

/** A diagnostic of the program's, as the engine sends a `pulumi.log.warn` (message and prefix apart, a trailing newline). */
function diagnostic(severity: "warning" | "info" | "error", message: string): EngineEvent {
    return { sequence: sequence++, timestamp: 1_736_951_400, diagnosticEvent: { message: `${message}\n`, color: "never", severity, prefix: `${severity}: ` } };
}

/** What the promotion gate warns in a preview of prod (stacks/promotionGate.ts). */
const GATE_WARNING = `${promotionRefusalMessage([
    { service: "cart-service", image: "ghcr.io/pilab-hu/cart-service:v1.1.0", source: "dev", sourceHealthy: ["ghcr.io/pilab-hu/cart-service:v1.0.0"] },
])}\n(A preview only warns; the update will refuse unless dev is Healthy on the image by then.)`;

const template = (name: string, interval: string, count: number) => ({ metadata: { name }, spec: { metrics: [{ name, interval, count }] } });

function plan(events: EngineEvent[], counts: Record<string, number>): string {
    const collector = new ReleasePlanCollector();
    events.forEach(collector.onEvent);
    return renderReleasePlan(collector.plan("prod", counts));
}

describe("release plan of a long-lived stack", () => {
    const templates = [
        step("same", TEMPLATE, "prod-analysis-success-rate", { old: template("success-rate", "30s", 4), new: template("success-rate", "30s", 4) }),
        step("same", TEMPLATE, "prod-analysis-latency-p99", { old: template("latency-p99", "30s", 3), new: template("latency-p99", "30s", 3) }),
    ];

    it("names each Rollout's image from and to, restarts, and the strategy with its least time", () => {
        const events = [
            ...templates,
            step("update", ROLLOUT, "prod-cart-service-rollout",
                { old: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v1.0.0"), new: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v1.1.0") },
                { "spec.template.spec.containers[0].image": changed }),
            step("update", ROLLOUT, "prod-order-service-rollout",
                { old: rollout("order-service", "ghcr.io/pilab-hu/order-service:v2.0.0", "2026-12-01T10:00:00Z"), new: rollout("order-service", "ghcr.io/pilab-hu/order-service:v2.0.0", "2026-12-02T09:00:00Z") },
                { 'spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]': changed }),
            step("same", ROLLOUT, "prod-payment-service-rollout",
                { old: rollout("payment-service", "ghcr.io/pilab-hu/payment-service:v3"), new: rollout("payment-service", "ghcr.io/pilab-hu/payment-service:v3") }),
        ];
        assertGolden("release-plan-release.md", plan(events, { update: 2, same: 40 }));
    });

    it("calls out a replacement and a deletion before anything else", () => {
        const blueGreen = { blueGreen: { activeService: "cart-service", previewService: "cart-service-preview", autoPromotionEnabled: false, prePromotionAnalysis: { templates: [{ templateName: "success-rate" }] } } };
        const events = [
            ...templates,
            step("update", ROLLOUT, "dev-cart-service-rollout",
                { old: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v1", undefined, blueGreen), new: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v2", undefined, blueGreen) },
                { "spec.template.spec.containers[0].image": changed, "spec.replicas": changed }),
            step("replace", "kubernetes:core/v1:Service", "dev-cart-service-preview", { old: { metadata: { name: "cart-service-preview" } }, new: { metadata: { name: "cart-service-preview" } } },
                { "spec.clusterIP": changed }, ["spec.clusterIP"]),
            step("delete", "kubernetes:networking.k8s.io/v1:Ingress", "dev-web", { old: { metadata: { name: "web" } } }),
        ];
        assertGolden("release-plan-destructive.md", plan(events, { update: 1, replace: 1, delete: 1, same: 30 }));
    });

    it("shows the promotion gate's refusal loudly, before the table, and no other warning", () => {
        const events = [
            ...templates,
            diagnostic("warning", "the EndpointSlice default/kubernetes lists no API server address and port"),
            diagnostic("info", `${GATE_WARNING.split("\n")[0]} (an info line is not the gate's warning)`),
            diagnostic("warning", GATE_WARNING),
            step("update", ROLLOUT, "prod-cart-service-rollout",
                { old: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v1.0.0"), new: rollout("cart-service", "ghcr.io/pilab-hu/cart-service:v1.1.0") },
                { "spec.template.spec.containers[0].image": changed }),
        ];
        const collector = new ReleasePlanCollector();
        events.forEach(collector.onEvent);
        const plan = collector.plan("prod", { update: 1, same: 41 });
        assert.deepEqual(plan.promotionGate, [GATE_WARNING]);
        assertGolden("release-plan-promotion-gate.md", renderReleasePlan(plan));
    });

    it("says why a preview failed, with the promotion gate's refusal when the program got that far", () => {
        const message = "a policy pack refused the update (1 mandatory violation); nothing was changed:\n" +
            "  - rollout-stacks/prod-rollout-analysis on prod-cart-service-rollout: a Rollout in a production stack needs an analysis step";
        assertGolden("release-plan-failed.md", renderReleasePlanFailure("prod", message, [GATE_WARNING]));
    });

    it("says so when nothing changes", () => {
        assertGolden("release-plan-empty.md", plan([...templates], { same: 42 }));
    });
});
