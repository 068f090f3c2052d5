import type { RolloutSpec, RolloutStatusSpec } from "../../lib/argoTypes";

export const ROLLOUT_GROUP = "argoproj.io";
export const ROLLOUT_VERSION = "v1alpha1";
export const ROLLOUT_PLURAL = "rollouts";
export const ANALYSIS_RUN_PLURAL = "analysisruns";
/** The label the controller puts on a Rollout's ReplicaSets, pods and AnalysisRuns. */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";

/** What a live read may leave out: every field of T optional and read-only, at every depth. */
type LivePartial<T> = T extends readonly (infer E)[]
    ? readonly LivePartial<E>[]
    : T extends object ? { readonly [K in keyof T]?: LivePartial<T[K]> } : T;

/** A Rollout's status as the CRD declares it, as far as the controller has filled it in. */
export type RolloutStatus = LivePartial<Omit<RolloutStatusSpec, "observedGeneration">> & {
    /** A string in the CRD (v0.9 used a hash); numeric since v0.10. */
    readonly observedGeneration?: string | number;
};

/** A Rollout as the bot reads it from the cluster: the CRD's spec and status, any field possibly missing. */
export interface Rollout {
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number };
    readonly spec?: LivePartial<RolloutSpec>;
    readonly status?: RolloutStatus;
}
