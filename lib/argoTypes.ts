/**
 * Names for the Argo Rollouts spec types this program writes. @kubernetes-models/argo-rollouts
 * (generated from the v1.5 CRDs) declares them inline in `IRollout` and `IAnalysisTemplate`; these
 * aliases pick them out so strategy and template code is checked field by field against the CRD:
 * a misspelt field fails to compile. Type-only imports: nothing of the package is loaded at run time.
 */
import type { IAnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";

export type RolloutSpec = IRollout["spec"];
export type RolloutStrategySpec = NonNullable<RolloutSpec["strategy"]>;
export type CanaryStrategySpec = NonNullable<RolloutStrategySpec["canary"]>;
export type CanaryStepSpec = NonNullable<CanaryStrategySpec["steps"]>[number];
export type BlueGreenStrategySpec = NonNullable<RolloutStrategySpec["blueGreen"]>;
/** A reference to AnalysisTemplates with arguments, as canary steps and blue/green promotions take it. */
export type RolloutAnalysisSpec = NonNullable<CanaryStepSpec["analysis"]>;
/** What the controller reports in a Rollout's status; the release bot reads it (bot/rollouts/types.ts). */
export type RolloutStatusSpec = NonNullable<IRollout["status"]>;

export type AnalysisTemplateSpec = IAnalysisTemplate["spec"];
export type AnalysisMetricSpec = AnalysisTemplateSpec["metrics"][number];

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";
