import type { EngineEvent, OpMap, StepEventMetadata } from "@pulumi/pulumi/automation";
import type { CanaryStepSpec } from "../lib/argoTypes";
import { goDurationSeconds, pauseDurationSeconds } from "../lib/duration";
import { PREVIOUS_IMAGE_ANNOTATION } from "../lib/notifications";
import { PROMOTION_REFUSED_HEADER } from "../lib/promotionGate";
import { RESTARTED_AT_ANNOTATION } from "../lib/restart";
import { formatDuration } from "./duration";
import { code, describeCounts, PreviewCollector, PreviewRow } from "./previewSummary";

/**
 * The release plan of a long-lived stack, as a reviewer of a pull request that changes it reads it:
 * what each Rollout will do (a new image, from what to what; a restart; other fields), the strategy
 * that will walk it and the least time that takes, and anything replaced or deleted, loudly. Built
 * from the engine's events of a preview, like the PR comment (previewSummary.ts).
 */

const ROLLOUT_TYPE = "kubernetes:argoproj.io/v1alpha1:Rollout";
const ANALYSIS_TEMPLATE_TYPE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const ANSI = /\u001b\[[0-9;]*m/g;

/** What one Rollout does in this update. */
export interface RolloutPlan {
    readonly service: string;
    /** `release`: a new image (a canary or blue/green walk); `restart`: new pods of the same image; `update`: other fields only. */
    readonly change: "release" | "restart" | "update" | "create" | "replace" | "delete";
    readonly from?: string;
    readonly to?: string;
    /** The changed fields besides the image and the restart annotation. */
    readonly fields: readonly string[];
}

/** The strategy a release walks, with the least time it takes. */
export interface StrategyPlan {
    readonly kind: "canary" | "blueGreen";
    /** `20 %`, `pause 2m`, `pause until promoted`, `analysis success-rate, latency-p99`, ... */
    readonly steps: readonly string[];
    /** The timed pauses and analyses together; a pause until promoted adds a person's time. */
    readonly minimumSeconds: number;
    readonly analysisGates: number;
    /** True when a person must promote (an untimed pause, or blue/green without auto-promotion). */
    readonly waitsForPromotion: boolean;
}

export interface ReleasePlan {
    readonly stack: string;
    readonly counts: Readonly<OpMap>;
    readonly rollouts: readonly RolloutPlan[];
    readonly strategy?: StrategyPlan;
    /** Replacements and deletions of any resource: what a reviewer must not miss. */
    readonly destructive: readonly PreviewRow[];
    /** Other changed resources (not Rollouts), by row. */
    readonly others: readonly PreviewRow[];
    /**
     * The promotion gate's refusals the program warned about (a preview only warns; the update
     * refuses unless the source environment has run the images Healthy by then), each a whole
     * diagnostic: its header, one line per image, what to do.
     */
    readonly promotionGate: readonly string[];
}

type Inputs = Record<string, any>;

function imageOf(inputs: Inputs | undefined): string | undefined {
    const image: unknown = inputs?.spec?.template?.spec?.containers?.[0]?.image;
    return typeof image === "string" ? image : undefined;
}

/** The Rollout's restart trigger: the pod template's restartedAt annotation, or `spec.restartAt`. */
function restartOf(inputs: Inputs | undefined): unknown {
    return inputs?.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? inputs?.spec?.restartAt;
}

/** Seconds an AnalysisTemplate takes at least: its slowest metric's `count × interval`, after `initialDelay`. */
function analysisSeconds(template: Inputs): number {
    const metrics: Inputs[] = template?.spec?.metrics ?? [];
    return Math.max(0, ...metrics.map((metric) => {
        const interval = goDurationSeconds(String(metric.interval ?? "")) ?? 0;
        const count = typeof metric.count === "number" ? metric.count : 1;
        const delay = goDurationSeconds(String(metric.initialDelay ?? "")) ?? 0;
        return delay + Math.max(0, count - 1) * interval;
    }));
}

function describeStrategy(spec: Inputs | undefined, templates: ReadonlyMap<string, number>): StrategyPlan | undefined {
    const canary = spec?.strategy?.canary;
    const analysis = (names: readonly string[]) => `analysis ${names.join(", ")}`;
    const gateSeconds = (refs: Inputs[] | undefined) => Math.max(0, ...(refs ?? []).map((ref) => templates.get(String(ref.templateName)) ?? 0));
    if (canary !== undefined) {
        let minimumSeconds = 0;
        let analysisGates = 0;
        let waitsForPromotion = false;
        const steps = ((canary.steps ?? []) as CanaryStepSpec[]).map((step) => {
            if (step.setWeight !== undefined) {
                return `${step.setWeight} %`;
            }
            if (step.pause !== undefined) {
                const seconds = step.pause.duration === undefined ? undefined : pauseDurationSeconds(step.pause.duration);
                if (seconds === undefined) {
                    waitsForPromotion = true;
                    return "pause until promoted";
                }
                minimumSeconds += seconds;
                return `pause ${formatDuration(seconds * 1_000)}`;
            }
            if (step.analysis !== undefined) {
                analysisGates += 1;
                const refs = (step.analysis.templates ?? []) as Inputs[];
                minimumSeconds += gateSeconds(refs);
                return analysis(refs.map((ref) => String(ref.templateName)));
            }
            return Object.keys(step)[0] ?? "step";
        });
        return { kind: "canary", steps: [...steps, "100 %"], minimumSeconds, analysisGates, waitsForPromotion };
    }
    const blueGreen = spec?.strategy?.blueGreen;
    if (blueGreen === undefined) {
        return undefined;
    }
    const pre = (blueGreen.prePromotionAnalysis?.templates ?? []) as Inputs[];
    const post = (blueGreen.postPromotionAnalysis?.templates ?? []) as Inputs[];
    const auto = blueGreen.autoPromotionEnabled !== false;
    const delay = typeof blueGreen.autoPromotionSeconds === "number" ? blueGreen.autoPromotionSeconds : 0;
    const steps = [
        "preview",
        ...(pre.length === 0 ? [] : [analysis(pre.map((ref) => String(ref.templateName)))]),
        auto ? (delay > 0 ? `promote after ${formatDuration(delay * 1_000)}` : "promote") : "promote by hand",
        ...(post.length === 0 ? [] : [analysis(post.map((ref) => String(ref.templateName)))]),
    ];
    return {
        kind: "blueGreen", steps, minimumSeconds: gateSeconds(pre) + gateSeconds(post) + (auto ? delay : 0),
        analysisGates: (pre.length > 0 ? 1 : 0) + (post.length > 0 ? 1 : 0), waitsForPromotion: !auto,
    };
}

/** Collects a long-lived stack's preview into its {@link ReleasePlan}; pass every engine event to `onEvent`. */
export class ReleasePlanCollector {
    private readonly rows = new PreviewCollector();
    private readonly rollouts = new Map<string, StepEventMetadata[]>();
    private readonly templates = new Map<string, number>();
    private readonly refusals = new Set<string>();

    readonly onEvent = (event: EngineEvent): void => {
        this.rows.onEvent(event);
        const diagnostic = event.diagnosticEvent;
        if (diagnostic?.severity === "warning") {
            const message = diagnostic.message.replace(ANSI, "").trim();
            if (message.startsWith(PROMOTION_REFUSED_HEADER)) {
                this.refusals.add(message);
            }
        }
        const step = event.resourcePreEvent?.metadata;
        if (step === undefined) {
            return;
        }
        const state = step.new ?? step.old;
        if (step.type === ANALYSIS_TEMPLATE_TYPE && state?.inputs?.metadata?.name !== undefined) {
            this.templates.set(String(state.inputs.metadata.name), analysisSeconds(state.inputs));
        }
        if (step.type === ROLLOUT_TYPE) {
            this.rollouts.set(step.urn, [...(this.rollouts.get(step.urn) ?? []), step]);
        }
    };

    plan(stack: string, counts?: OpMap): ReleasePlan {
        const summary = this.rows.summary(stack, counts);
        const changed = new Map(summary.rows.map((row) => [row.urn, row]));
        const rollouts: RolloutPlan[] = [];
        let strategy: StrategyPlan | undefined;
        for (const [urn, steps] of this.rollouts) {
            const row = changed.get(urn);
            const oldInputs = steps.map((s) => s.old?.inputs).find((inputs) => inputs !== undefined);
            const newInputs = steps.map((s) => s.new?.inputs).find((inputs) => inputs !== undefined);
            strategy ??= describeStrategy(newInputs?.spec ?? oldInputs?.spec, this.templates);
            // A Rollout read back (the promotion gate's record) changes nothing.
            if (row === undefined || row.op === "read") {
                continue;
            }
            const service = String(newInputs?.metadata?.name ?? oldInputs?.metadata?.name ?? row.name);
            const from = imageOf(oldInputs);
            const to = imageOf(newInputs);
            // The image, the restart trigger and the notifications' record of the previous image say the same as `change`.
            const fields = row.properties.filter((property) => !/containers\[0\]\.image$/.test(property) && !property.includes(RESTARTED_AT_ANNOTATION) &&
                property !== "spec.restartAt" && !property.includes(PREVIOUS_IMAGE_ANNOTATION));
            const change = row.op === "create" || row.op === "delete" || row.op === "replace" ? row.op
                : from !== to ? "release"
                    : JSON.stringify(restartOf(oldInputs)) !== JSON.stringify(restartOf(newInputs)) ? "restart" : "update";
            rollouts.push({ service, change, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), fields });
        }
        rollouts.sort((a, b) => a.service.localeCompare(b.service));
        return {
            stack,
            counts: summary.counts,
            rollouts,
            ...(strategy === undefined ? {} : { strategy }),
            destructive: summary.rows.filter((row) => row.op === "replace" || row.op === "delete"),
            // Reads (the stack's reference to its own last outputs) change nothing.
            others: summary.rows.filter((row) => row.type !== ROLLOUT_TYPE && !["replace", "delete", "read"].includes(row.op)),
            promotionGate: [...this.refusals],
        };
    }
}

function describeChange(rollout: RolloutPlan): string {
    const fields = rollout.fields.length === 0 ? "" : `; also ${rollout.fields.map(code).join(", ")}`;
    switch (rollout.change) {
        case "release":
            return `new image: ${rollout.from === undefined ? "" : `${code(rollout.from)} → `}${code(rollout.to ?? "?")}${fields}`;
        case "restart":
            return `restart: new pods of ${code(rollout.to ?? "the same image")}${fields}`;
        case "update":
            return `fields only: ${rollout.fields.map(code).join(", ") || "(none named by the provider)"}`;
        default:
            return `**${rollout.change}**${rollout.to === undefined ? "" : ` at ${code(rollout.to)}`}`;
    }
}

/** True when the update changes nothing a reviewer needs to read. */
export function isEmpty(plan: ReleasePlan): boolean {
    return plan.rollouts.length === 0 && plan.destructive.length === 0 && plan.others.length === 0;
}

/** A code fence longer than any run of backticks in `text`, so the text is shown verbatim (a `<reason>` is not read as HTML). */
function fenceFor(text: string): string {
    return "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
}

/** `text` verbatim in a fenced block inside a `>` quote. */
function quotedBlock(text: string): string[] {
    const fence = fenceFor(text);
    return [`> ${fence}`, ...text.split("\n").map((line) => `> ${line}`.trimEnd()), `> ${fence}`];
}

/** The promotion gate's refusals, loudly: merging would have the update refused unless the source gets there first. */
function promotionGateLines(stack: string, refusals: readonly string[]): string[] {
    if (refusals.length === 0) {
        return [];
    }
    return [
        "> [!WARNING]",
        `> **⚠ Promotion gate:** as things stand, the update of \`${stack}\` would be refused. Merging updates the source environment ` +
            `first; \`${stack}\` then takes these images only if they got Healthy there:`,
        ...refusals.flatMap((refusal) => [">", ...quotedBlock(refusal)]),
        "",
    ];
}

/** The plan as a PR comment section. */
export function renderReleasePlan(plan: ReleasePlan): string {
    const lines = [`### Release plan for \`${plan.stack}\``, "", ...promotionGateLines(plan.stack, plan.promotionGate)];
    if (isEmpty(plan)) {
        lines.push(`No changes: \`${plan.stack}\` already matches this commit (${describeCounts(plan.counts)}).`);
        return `${lines.join("\n")}\n`;
    }
    if (plan.destructive.length > 0) {
        lines.push(`> [!CAUTION]`, `> **${plan.destructive.length} resource${plan.destructive.length === 1 ? "" : "s"} replaced or deleted:** ` +
            plan.destructive.map((row) => `${row.op} ${code(row.type.split(":").pop() ?? row.type)} ${code(row.name)}` +
                (row.replaceKeys.length === 0 ? "" : ` (forced by ${row.replaceKeys.map(code).join(", ")})`)).join("; "), "");
    }
    const releases = plan.rollouts.filter((rollout) => rollout.change === "release").length;
    const restarts = plan.rollouts.filter((rollout) => rollout.change === "restart").length;
    if (plan.rollouts.length > 0) {
        lines.push("| Service | What happens |", "| --- | --- |", ...plan.rollouts.map((rollout) => `| ${code(rollout.service)} | ${describeChange(rollout)} |`), "");
        const summary = [releases > 0 ? `${releases} release${releases === 1 ? "" : "s"}` : "", restarts > 0 ? `${restarts} restart${restarts === 1 ? "" : "s"}` : ""].filter((part) => part !== "");
        if (summary.length > 0) {
            lines.push(`**Rollouts:** ${summary.join(", ")}.`, "");
        }
    }
    if (plan.strategy !== undefined && releases > 0) {
        const { kind, steps, minimumSeconds, analysisGates, waitsForPromotion } = plan.strategy;
        const time = [
            ...(minimumSeconds > 0 ? [`takes at least ${formatDuration(minimumSeconds * 1_000)}`] : []),
            ...(analysisGates > 0 ? [`passes ${analysisGates} analysis gate${analysisGates === 1 ? "" : "s"}`] : []),
            ...(waitsForPromotion ? ["waits for a person to promote"] : []),
        ];
        lines.push(`**Strategy:** ${kind === "canary" ? "canary" : "blue/green"}: ${steps.join(" → ")}` +
            `${time.length === 0 ? "" : `; each release ${time.join(", ")}`}.`, "");
    }
    if (plan.others.length > 0) {
        lines.push(`**Other resources:** ${plan.others.map((row) => `${row.op} ${code(row.name)}`).join(", ")}.`, "");
    }
    lines.push(`**Resources:** ${describeCounts(plan.counts)}`);
    return `${lines.join("\n")}\n`;
}

/**
 * The section of a preview that failed (a policy refusal, a config error, a locked stack): the
 * failure's message, and the promotion gate's refusals if the program got as far as warning.
 */
export function renderReleasePlanFailure(stack: string, message: string, promotionGate: readonly string[] = []): string {
    const fence = fenceFor(message);
    return [`### Release plan for \`${stack}\``, "", ...promotionGateLines(stack, promotionGate),
        ":x: **The preview failed:**", "", fence, message.trim(), fence, ""].join("\n");
}
