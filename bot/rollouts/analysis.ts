import { POD_TEMPLATE_HASH_LABEL } from "./types";

/**
 * What an AnalysisRun concluded, in the words a person releasing needs: each metric's verdict, the
 * values it measured and the condition they were held to. Pure functions over the live object.
 */

/** The phases of an AnalysisRun and of each of its metrics (argo-rollouts' AnalysisPhase). */
export type AnalysisPhase = "Pending" | "Running" | "Successful" | "Failed" | "Error" | "Inconclusive";

/** The phases after which an AnalysisRun or metric measures no more. */
export const FINISHED_ANALYSIS_PHASES: readonly string[] = ["Successful", "Failed", "Error", "Inconclusive"];

/** The slice of a live AnalysisRun the bot reads; any field may be missing while it runs. */
export interface AnalysisRun {
    readonly metadata: {
        readonly name: string;
        readonly labels?: Readonly<Record<string, string>>;
        readonly ownerReferences?: readonly { readonly kind?: string; readonly name?: string }[];
        readonly creationTimestamp?: string;
    };
    readonly spec?: {
        readonly metrics?: readonly { readonly name: string; readonly successCondition?: string; readonly failureCondition?: string }[];
    };
    readonly status?: {
        readonly phase?: string;
        readonly message?: string;
        readonly metricResults?: readonly {
            readonly name: string;
            readonly phase?: string;
            readonly message?: string;
            readonly count?: number;
            readonly successful?: number;
            readonly failed?: number;
            readonly inconclusive?: number;
            readonly error?: number;
            readonly measurements?: readonly { readonly phase?: string; readonly value?: string; readonly message?: string }[];
        }[];
    };
}

/** One metric's verdict: what it measured and what it was held to. */
export interface MetricVerdict {
    readonly name: string;
    readonly phase: string;
    /** The measured values in order, as numbers (NaN when a query found no data). */
    readonly measured: readonly number[];
    readonly successCondition?: string;
    readonly failureCondition?: string;
    /** The controller's or the provider's own words, when a measurement errored or the metric failed. */
    readonly message?: string;
}

/** An AnalysisRun's verdict, metric by metric. */
export interface AnalysisVerdict {
    readonly name: string;
    readonly phase: string;
    readonly message?: string;
    readonly metrics: readonly MetricVerdict[];
}

const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN/g;

/**
 * The numbers in a measurement's value. The Prometheus provider writes a vector as `[0.98]` (one
 * number per series) and a scalar as `0.98`; a query over no data gives `[NaN]`.
 */
export function measuredValues(value: string | undefined): number[] {
    return [...(value ?? "").matchAll(NUMBER)].map(([text]) => (/Inf$/.test(text) ? (text.startsWith("-") ? -Infinity : Infinity) : Number(text)));
}

export function analysisVerdict(run: AnalysisRun): AnalysisVerdict {
    const conditions = new Map((run.spec?.metrics ?? []).map((metric) => [metric.name, metric]));
    const message = run.status?.message;
    return {
        name: run.metadata.name,
        phase: run.status?.phase || "Pending",
        ...(message ? { message } : {}),
        metrics: (run.status?.metricResults ?? []).map((result) => {
            const spec = conditions.get(result.name);
            const errored = result.measurements?.find((m) => m.phase === "Error" && m.message)?.message;
            const metricMessage = result.message || errored;
            return {
                name: result.name,
                phase: result.phase || "Pending",
                measured: (result.measurements ?? []).flatMap((m) => measuredValues(m.value)),
                ...(spec?.successCondition === undefined ? {} : { successCondition: spec.successCondition }),
                ...(spec?.failureCondition === undefined ? {} : { failureCondition: spec.failureCondition }),
                ...(metricMessage ? { message: metricMessage } : {}),
            };
        }),
    };
}

function formatValue(value: number): string {
    return Number.isNaN(value) ? "no data" : Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}

/**
 * `success-rate Failed: measured 0.7012, 0.6987; passes when result[0] >= 0.99`. The condition
 * shown is the one the verdict turned on: the success condition for a success, the failure
 * condition for a failure, both when the measurements met neither (Inconclusive).
 */
export function describeMetricVerdict(metric: MetricVerdict): string {
    const measured = metric.measured.length === 0 ? "nothing measured" : `measured ${metric.measured.map(formatValue).join(", ")}`;
    const conditions = [
        metric.phase !== "Failed" && metric.successCondition !== undefined ? `passes when ${metric.successCondition}` : undefined,
        metric.phase !== "Successful" && metric.failureCondition !== undefined ? `fails when ${metric.failureCondition}` : undefined,
    ].filter((c): c is string => c !== undefined);
    const why = metric.phase === "Inconclusive" && metric.measured.some(Number.isNaN)
        ? "; no requests reached these pods in the window, or Prometheus had not yet scraped them twice (`analysis.initialDelay` gives new pods that time), so there was nothing to judge"
        : "";
    return `${metric.name} ${metric.phase}: ${measured}${conditions.length === 0 ? "" : `; ${conditions.join(", ")}`}${why}` +
        (metric.message === undefined || metric.phase === "Successful" ? "" : ` (${metric.message})`);
}

/** One line per metric under the run's own: `analysis <run> Failed` then `  success-rate Failed: ...`. */
export function describeAnalysisVerdict(verdict: AnalysisVerdict): string[] {
    return [`analysis ${verdict.name} ${verdict.phase}`, ...verdict.metrics.map((metric) => `  ${describeMetricVerdict(metric)}`)];
}

/** The metrics that decided a run's outcome: those in the run's own (final) phase. */
export function decidingMetrics(verdict: AnalysisVerdict): MetricVerdict[] {
    return verdict.metrics.filter((metric) => metric.phase === verdict.phase);
}

/** The AnalysisRuns a Rollout started for one ReplicaSet (the controller labels them with its pod-template hash). */
export function runsOfRevision(runs: readonly AnalysisRun[], rollout: string, podHash: string): AnalysisRun[] {
    return runs
        .filter((run) => run.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === podHash
            && (run.metadata.ownerReferences ?? []).some((owner) => owner.kind === "Rollout" && owner.name === rollout))
        .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || a.metadata.name.localeCompare(b.metadata.name));
}
