import { failingReason, PodFailure } from "../workloads";
import { RolloutApi } from "./client";
import { rolloutPhase } from "./status";
import { Rollout } from "./types";

/**
 * Why the pods of a Rollout's new revision do not start (`ImagePullBackOff`, `CrashLoopBackOff`),
 * as the kubelet reports it on them; undefined when they start, or the Rollout is Healthy. After an
 * abort the new revision has no pods left, so a follower keeps the last reason it saw.
 */
export async function podFailureOf(api: RolloutApi, namespace: string, rollout: Rollout): Promise<PodFailure | undefined> {
    const hash = rollout.status?.currentPodHash;
    if (hash === undefined || rolloutPhase(rollout).phase === "Healthy") {
        return undefined;
    }
    return failingReason(await api.pods(namespace, hash), undefined);
}
