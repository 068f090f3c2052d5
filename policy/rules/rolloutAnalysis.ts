import { PolicyInput, stackOf } from "./resource";

export const ROLLOUT_TYPE = "kubernetes:argoproj.io/v1alpha1:Rollout";

/**
 * A production Rollout must be able to stop itself: a canary needs at least one `analysis` step,
 * a blue/green Rollout a pre- or post-promotion analysis. Production is decided by the stack the
 * Rollout belongs to (its URN), so a dev stack can run without Prometheus.
 */
export function rolloutAnalysisProblems(resource: PolicyInput, productionStacks: readonly string[]): string[] {
    // A Rollout the stack reads back (no spec of its own: the promotion gate's record) declares nothing to judge.
    if (resource.type !== ROLLOUT_TYPE || !productionStacks.includes(stackOf(resource.urn)) || resource.props.spec === undefined) {
        return [];
    }
    const strategy = resource.props.spec?.strategy ?? {};
    if (strategy.canary !== undefined && strategy.canary !== null) {
        const steps: unknown[] = strategy.canary.steps ?? [];
        const full = steps.findIndex((step) => field(step, "setWeight") === 100);
        const judged = (full === -1 ? steps : steps.slice(0, full)).some((step) => runsAnalysis(field(step, "analysis")));
        if (judged) {
            return [];
        }
        return [steps.some((step) => runsAnalysis(field(step, "analysis")))
            ? `canary of a ${stackOf(resource.urn)} Rollout runs its analysis only after setWeight: 100, when every pod already runs the new version; move an analysis step before it`
            : `canary of a ${stackOf(resource.urn)} Rollout has no analysis step; add one (e.g. success-rate) so a bad release aborts itself`];
    }
    if (strategy.blueGreen !== undefined && strategy.blueGreen !== null) {
        return runsAnalysis(strategy.blueGreen.prePromotionAnalysis) || runsAnalysis(strategy.blueGreen.postPromotionAnalysis)
            ? []
            : [`blue/green ${stackOf(resource.urn)} Rollout has no pre- or post-promotion analysis; add one so a bad release is not promoted`];
    }
    return [`${stackOf(resource.urn)} Rollout has neither a canary nor a blue/green strategy`];
}

/** A field of a step object; undefined for anything else. */
function field(step: unknown, name: string): unknown {
    return step !== null && typeof step === "object" ? (step as Record<string, unknown>)[name] : undefined;
}

/** An analysis that measures something: an object naming at least one template (`analysis: null` or `{}` measures nothing). */
function runsAnalysis(analysis: unknown): boolean {
    const templates = field(analysis, "templates");
    return Array.isArray(templates) && templates.length > 0;
}
