import * as assert from "node:assert/strict";
import type { EngineEvent, OpMap, OpType, PropertyDiff } from "@pulumi/pulumi/automation";
import { PreviewCollector, renderPreviewMarkdown } from "../../bot/previewSummary";
import { assertGolden } from "../support/golden";

const STACK_URN = "urn:pulumi:pr-123::rollout-stacks::pulumi:pulumi:Stack::rollout-stacks-pr-123";

let sequence = 0;

interface StepSpec {
    readonly op: OpType;
    readonly type: string;
    readonly name: string;
    readonly k8sName?: string;
    readonly diffs?: string[];
    readonly detailedDiff?: Record<string, PropertyDiff>;
    readonly keys?: string[];
}

/** A resourcePreEvent as the engine streams it during `preview`. */
function step(spec: StepSpec): EngineEvent {
    const urn = `urn:pulumi:pr-123::rollout-stacks::${spec.type}::${spec.name}`;
    const state = spec.k8sName === undefined ? undefined : {
        type: spec.type, urn, id: "", parent: STACK_URN, provider: "", inputs: { metadata: { name: spec.k8sName } }, outputs: {},
    };
    return {
        sequence: sequence++,
        timestamp: 1_736_951_400,
        resourcePreEvent: {
            planning: true,
            metadata: {
                op: spec.op, urn, type: spec.type, provider: "",
                ...(state === undefined ? {} : spec.op === "delete" ? { old: state } : { new: state, old: state }),
                ...(spec.diffs === undefined ? {} : { diffs: spec.diffs }),
                ...(spec.detailedDiff === undefined ? {} : { detailedDiff: spec.detailedDiff }),
                ...(spec.keys === undefined ? {} : { keys: spec.keys }),
            },
        },
    };
}

const update = (inputDiff = true) => ({ diffKind: "update", inputDiff }) as PropertyDiff;

function summarize(events: EngineEvent[], counts: OpMap): string {
    const collector = new PreviewCollector();
    events.forEach(collector.onEvent);
    return renderPreviewMarkdown(collector.summary("pr-123", counts));
}

describe("PR preview summary", () => {
    it("renders creates, updates, a replacement and a delete with their changed properties", () => {
        const events = [
            step({ op: "same", type: "pulumi:pulumi:Stack", name: "rollout-stacks-pr-123" }),
            step({
                op: "update", type: "kubernetes:apps/v1:Deployment", name: "pr-123-cart-service-deployment", k8sName: "cart-service",
                diffs: ["spec"], detailedDiff: { "spec.template.spec.containers[0].image": update() },
            }),
            step({
                op: "update", type: "kubernetes:apps/v1:Deployment", name: "pr-123-order-service-deployment", k8sName: "order-service",
                diffs: ["spec"],
                detailedDiff: {
                    "spec.template.spec.containers[0].image": update(),
                    'spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]': update(),
                },
            }),
            step({ op: "create", type: "kubernetes:core/v1:Secret", name: "pr-123-backends", k8sName: "backends", diffs: ["stringData"], detailedDiff: { stringData: { diffKind: "add", inputDiff: true } as PropertyDiff } }),
            step({ op: "create-replacement", type: "kubernetes:core/v1:Service", name: "pr-123-cart-service-service", k8sName: "cart-service", diffs: ["spec"], keys: ["spec.clusterIP"], detailedDiff: { "spec.clusterIP": { diffKind: "update-replace", inputDiff: true } as PropertyDiff, "spec.ports[0].port": update() } }),
            step({ op: "replace", type: "kubernetes:core/v1:Service", name: "pr-123-cart-service-service", k8sName: "cart-service", diffs: ["spec"], keys: ["spec.clusterIP"], detailedDiff: { "spec.clusterIP": { diffKind: "update-replace", inputDiff: true } as PropertyDiff, "spec.ports[0].port": update() } }),
            step({ op: "delete-replaced", type: "kubernetes:core/v1:Service", name: "pr-123-cart-service-service", k8sName: "cart-service" }),
            step({ op: "delete", type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "pr-123-ns-allow-backends", k8sName: "allow-backends" }),
            step({ op: "update", type: "rollout-stacks:pr:PrEnvironment", name: "pr-123", diffs: ["services"] }),
        ];
        const markdown = summarize(events, { same: 12, update: 3, create: 1, replace: 1, delete: 1 });
        assertGolden("preview-changes.md", markdown);
    });

    it("renders an empty preview as no changes, with the unchanged count", () => {
        const markdown = summarize([step({ op: "same", type: "pulumi:pulumi:Stack", name: "rollout-stacks-pr-123" })], { same: 17 });
        assertGolden("preview-empty.md", markdown);
    });

    it("lists policy violations, and counts the steps when the engine gave no summary", () => {
        const collector = new PreviewCollector();
        [
            step({ op: "create", type: "kubernetes:apps/v1:Deployment", name: "pr-123-cart-service-deployment", k8sName: "cart-service" }),
            {
                sequence: sequence++, timestamp: 1_736_951_401,
                policyEvent: {
                    resourceUrn: "urn:pulumi:pr-123::rollout-stacks::kubernetes:apps/v1:Deployment::pr-123-cart-service-deployment",
                    message: "container cart-service: image 'ghcr.io/pilab-hu/cart-service:latest' uses the floating tag 'latest'; pin a version or a digest",
                    color: "never", policyName: "pinned-images", policyPackName: "rollout-stacks", policyPackVersion: "0.1.0",
                    policyPackVersionTag: "0.1.0", enforcementLevel: "mandatory",
                },
            } satisfies EngineEvent,
        ].forEach(collector.onEvent);
        assertGolden("preview-policy.md", renderPreviewMarkdown(collector.summary("pr-123")));
    });

    it("names the policy packs the engine ran, from its summary event, and whether they found anything", () => {
        // The CLI's JSON spells the field `PolicyPacks` (apitype.SummaryEvent), not as the SDK's type does.
        const summaryEvent = (packs: Record<string, string>) => ({
            sequence: sequence++, timestamp: 1_736_951_403,
            summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { same: 24 }, PolicyPacks: packs },
        }) as unknown as EngineEvent;
        const clean = new PreviewCollector();
        // A local pack (--policy-pack) is keyed `<name>|local|<path>`; one the organization requires by its name.
        clean.onEvent(summaryEvent({ "rollout-stacks|local|/work/main/policy": "0.1.0", "org-baseline": "v2.0.0" }));
        const summary = clean.summary("pr-123", { same: 24 });
        assert.deepEqual(summary.policyPacks, [
            { name: "org-baseline", version: "2.0.0", local: false },
            { name: "rollout-stacks", version: "0.1.0", local: true },
        ]);
        assert.ok(renderPreviewMarkdown(summary).endsWith("\n\n**Policy packs:** `org-baseline` 2.0.0, `rollout-stacks` 0.1.0 (local): no violations\n"), renderPreviewMarkdown(summary));

        const violated = new PreviewCollector();
        violated.onEvent({
            sequence: sequence++, timestamp: 1_736_951_404,
            policyEvent: {
                message: "m", color: "never", policyName: "p", policyPackName: "rollout-stacks", policyPackVersion: "0.1.0",
                policyPackVersionTag: "0.1.0", enforcementLevel: "mandatory",
            },
        });
        violated.onEvent(summaryEvent({ "rollout-stacks|local|policy": "0.1.0" }));
        assert.match(renderPreviewMarkdown(violated.summary("pr-123")), /^\*\*Policy packs:\*\* `rollout-stacks` 0\.1\.0 \(local\): 1 violation$/m);

        const none = new PreviewCollector();
        none.onEvent(summaryEvent({}));
        assert.deepEqual(none.summary("pr-123", {}).policyPacks, []);
        assert.ok(!renderPreviewMarkdown(none.summary("pr-123", {})).includes("Policy packs"));
    });

    it("puts every resource of a replacement on one row, marked as replaced", () => {
        const collector = new PreviewCollector();
        for (const op of ["create-replacement", "replace", "delete-replaced"] as const) {
            collector.onEvent(step({ op, type: "kubernetes:core/v1:Service", name: "svc", k8sName: "cart-service", diffs: ["spec"] }));
        }
        const { rows } = collector.summary("pr-123", {});
        assert.deepEqual(rows.map((row) => [row.op, row.name]), [["replace", "cart-service"]]);
    });

    it("escapes table separators in names, properties and policy messages", () => {
        const collector = new PreviewCollector();
        collector.onEvent(step({
            op: "update", type: "kubernetes:core/v1:ConfigMap", name: "cm", k8sName: "a|b", diffs: ["data"], detailedDiff: { "data[\"x|y\"]": update() },
        }));
        collector.onEvent({
            sequence: sequence++, timestamp: 1_736_951_402,
            policyEvent: {
                message: "use a | b\nnot c", color: "never", policyName: "p", policyPackName: "rollout-stacks", policyPackVersion: "0.1.0",
                policyPackVersionTag: "0.1.0", enforcementLevel: "warning",
            },
        });
        const markdown = renderPreviewMarkdown(collector.summary("pr-123", { update: 1 }));
        assert.ok(markdown.includes("`a\\|b`"), markdown);
        assert.ok(markdown.includes("`data[\"x\\|y\"]`"), markdown);
        assert.ok(markdown.includes("| warning | `p` | stack | use a \\| b not c |"), markdown);
    });

    it("lists at most six properties per resource and counts the rest", () => {
        const detailedDiff = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`data.key${i}`, update()]));
        const markdown = summarize([step({ op: "update", type: "kubernetes:core/v1:ConfigMap", name: "cm", k8sName: "settings", diffs: ["data"], detailedDiff })], { update: 1 });
        assert.ok(markdown.includes("`data.key5`<br>and 3 more |"), markdown);
        assert.ok(!markdown.includes("data.key6"), markdown);
    });
});
