import { PolicyInput, stackOf } from "./resource";

export const ROLLOUT_TYPE = "kubernetes:argoproj.io/v1alpha1:Rollout";

/**
 * A production Rollout must be able to stop itself: a canary needs at least one `analysis` step,
 * a blue/green Rollout a pre- or post-promotion analysis. Production is decided by the stack the
 * Rollout belongs to (its URN), so a dev stack can run without Prometheus.
 */
export function rolloutAnalysisProblems(resource: PolicyInput, productionStacks: readonly string[]): string[] {
    if (resource.type !== ROLLOUT_TYPE || !productionStacks.includes(stackOf(resource.urn))) {
        return [];
    }
    const strategy = resource.props.spec?.strategy ?? {};
    if (strategy.canary !== undefined && strategy.canary !== null) {
        const steps: unknown[] = strategy.canary.steps ?? [];
        return steps.some((step) => step !== null && typeof step === "object" && "analysis" in step && (step as { analysis?: unknown }).analysis !== undefined)
            ? []
            : [`canary of a ${stackOf(resource.urn)} Rollout has no analysis step; add one (e.g. success-rate) so a bad release aborts itself`];
    }
    if (strategy.blueGreen !== undefined && strategy.blueGreen !== null) {
        return strategy.blueGreen.prePromotionAnalysis !== undefined || strategy.blueGreen.postPromotionAnalysis !== undefined
            ? []
            : [`blue/green ${stackOf(resource.urn)} Rollout has no pre- or post-promotion analysis; add one so a bad release is not promoted`];
    }
    return [`${stackOf(resource.urn)} Rollout has neither a canary nor a blue/green strategy`];
}
