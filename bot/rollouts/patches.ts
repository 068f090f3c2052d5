import { KubernetesApiError, RolloutApi } from "./client";
import { currentStepIndex } from "./status";
import { Rollout } from "./types";

/**
 * Acting on live Rollouts with the same patches as the `kubectl argo rollouts` plugin
 * (pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry}). The patch bodies are pure functions of
 * the Rollout; {@link applyPatches} sends them through a {@link RolloutApi}.
 */

/**
 * JSON merge patches, split as the plugin splits them. Each is a whole patch document
 * (`{"status": {...}}`, `{"spec": {...}}`): the status one goes to the status subresource.
 */
export interface RolloutPatches {
    readonly spec?: object;
    readonly status?: object;
    /** Spec and status in one patch, for controllers older than v0.10 that have no status subresource. */
    readonly unified?: object;
}

/** `kubectl argo rollouts abort`: the controller scales the canary down and sends all traffic to stable. */
export const ABORT_PATCHES: RolloutPatches = { status: { status: { abort: true } }, unified: { status: { abort: true } } };

/** `kubectl argo rollouts retry rollout`: clears the abort, so the controller starts the steps again. */
export const RETRY_PATCHES: RolloutPatches = { status: { status: { abort: false } }, unified: { status: { abort: false } } };

/**
 * `kubectl argo rollouts promote [--full]`, after the plugin's getPatches. `--full` sets
 * status.promoteFull unless the Rollout already runs its desired pods. Otherwise unpause
 * (spec.paused) and clear status.pauseConditions; a canary that is not paused but running a step
 * (analysis, experiment) is moved one step on instead.
 */
export function promotePatches(rollout: Rollout, full: boolean): RolloutPatches {
    const status = rollout.status ?? {};
    if (full) {
        return status.currentPodHash !== status.stableRS ? { status: { status: { promoteFull: true } } } : {};
    }
    let patches: { spec?: object; status?: object; unified: object } = { unified: { spec: { paused: false }, status: { pauseConditions: null } } };
    if (rollout.spec?.paused === true) {
        patches = { ...patches, spec: { spec: { paused: false } } };
    }
    if ((status.pauseConditions?.length ?? 0) > 0) {
        patches = { ...patches, status: { status: { pauseConditions: null } } };
    } else if (rollout.spec?.strategy?.canary !== undefined) {
        let index = currentStepIndex(rollout);
        if (index !== undefined) {
            const steps = rollout.spec.strategy.canary.steps?.length ?? 0;
            if (index < steps) {
                index++;
            }
            patches = {
                ...patches,
                status: { status: { pauseConditions: null, currentStepIndex: index } },
                unified: { spec: { paused: false }, status: { pauseConditions: null, currentStepIndex: index } },
            };
        }
    }
    return patches;
}

/**
 * Applies patches as the plugin does: the status patch to the status subresource first; if that
 * is NotFound (no status subresource, Argo Rollouts before v0.10) the unified patch goes to the
 * Rollout itself instead; then the spec patch.
 */
export async function applyPatches(api: RolloutApi, namespace: string, name: string, patches: RolloutPatches): Promise<void> {
    let spec = patches.spec;
    if (patches.status !== undefined) {
        try {
            await api.patch(namespace, name, patches.status, "status");
        } catch (error) {
            if (!(error instanceof KubernetesApiError && error.statusCode === 404) || patches.unified === undefined) {
                throw error;
            }
            spec = patches.unified;
        }
    }
    if (spec !== undefined) {
        await api.patch(namespace, name, spec);
    }
}
