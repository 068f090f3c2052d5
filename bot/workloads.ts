import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { toRfc3339Utc } from "../lib/timestamp";
import { loadKubeConfig, KubeconfigSource } from "./kubeconfig";

/**
 * What a PR environment's Deployments are doing right now, as a reviewer wants it in the PR
 * comment: ready, progressing, paused, or failed with the reason the kubelet gave for its pods.
 */

/** The reads the bot needs for a namespace's Deployments; @kubernetes/client-node in the CLI, fakes in tests. */
export interface WorkloadApi {
    deployments(namespace: string): Promise<V1Deployment[]>;
    replicaSets(namespace: string): Promise<V1ReplicaSet[]>;
    pods(namespace: string): Promise<V1Pod[]>;
}

export type ServiceStateKind = "ready" | "progressing" | "paused" | "failed" | "missing";

export interface ServiceState {
    readonly service: string;
    readonly state: ServiceStateKind;
    /** Ready pods of the current revision and the replicas wanted, e.g. 1/1. */
    readonly ready: string;
    /** Why the service failed (`ImagePullBackOff`, `CrashLoopBackOff`, `ProgressDeadlineExceeded`); absent otherwise. */
    readonly reason?: string;
    /** What the kubelet or the controller said with the reason, e.g. `Back-off pulling image "..."`. */
    readonly message?: string;
    /** The image of the Deployment's pod template: what the service is rolling to. */
    readonly image?: string;
    /** When the current revision's ReplicaSet was created: the service's last rollout. */
    readonly rolledOutAt?: string;
}

/** Container waiting reasons that do not go away by waiting: the pod will not become ready by itself. */
const FAILING_REASONS = new Set([
    "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
    "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
]);

const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** The ReplicaSet of the Deployment's current revision: the one with the Deployment's revision number. */
export function currentReplicaSet(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
    const uid = deployment.metadata?.uid;
    const owned = replicaSets.filter((rs) => rs.metadata?.ownerReferences?.some((ref) => ref.kind === "Deployment" && (uid === undefined || ref.uid === uid) && ref.name === deployment.metadata?.name));
    const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION];
    const byRevision = owned.find((rs) => revision !== undefined && rs.metadata?.annotations?.[REVISION_ANNOTATION] === revision);
    if (byRevision !== undefined) {
        return byRevision;
    }
    return [...owned].sort((a, b) => Number(b.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) - Number(a.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0))[0];
}

/** Why a workload's pods fail, as the kubelet says it. */
export interface PodFailure {
    /** The container's waiting reason, e.g. `ImagePullBackOff`. */
    readonly reason: string;
    /** Its message, when the kubelet gave one. */
    readonly message?: string;
}

/** The first failing reason among pods of one ReplicaSet, e.g. `ImagePullBackOff`, with its message. */
export function failingReason(pods: readonly V1Pod[], replicaSet: V1ReplicaSet | undefined): PodFailure | undefined {
    const hash = replicaSet?.metadata?.labels?.["pod-template-hash"];
    const current = pods.filter((pod) => hash === undefined || pod.metadata?.labels?.["pod-template-hash"] === hash);
    for (const pod of current) {
        for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
            const reason = status.state?.waiting?.reason;
            if (reason !== undefined && FAILING_REASONS.has(reason)) {
                const message = status.state?.waiting?.message;
                return message === undefined || message === "" ? { reason } : { reason, message };
            }
        }
    }
    return undefined;
}

/** One Deployment's state from its status, its current ReplicaSet and that ReplicaSet's pods. Pure. */
export function deploymentState(service: string, deployment: V1Deployment | undefined, replicaSets: readonly V1ReplicaSet[], pods: readonly V1Pod[]): ServiceState {
    if (deployment === undefined) {
        return { service, state: "missing", ready: "0/0" };
    }
    const wanted = deployment.spec?.replicas ?? 1;
    const status = deployment.status ?? {};
    const current = currentReplicaSet(deployment, replicaSets);
    const readyNow = current?.status?.readyReplicas ?? 0;
    const image = deployment.spec?.template.spec?.containers[0]?.image;
    const created = current?.metadata?.creationTimestamp;
    const base = {
        service,
        ready: `${readyNow}/${wanted}`,
        ...(image === undefined ? {} : { image }),
        ...(created === undefined ? {} : { rolledOutAt: toRfc3339Utc(new Date(created)) }),
    };
    const stalled = status.conditions?.find((c) => c.type === "Progressing" && c.status === "False");
    const failure = failingReason(pods, current) ?? (stalled?.reason === undefined ? undefined : { reason: stalled.reason, ...(stalled.message === undefined ? {} : { message: stalled.message }) });
    if (failure !== undefined) {
        return { ...base, state: "failed", ...failure };
    }
    if (wanted === 0) {
        return { ...base, state: "paused" };
    }
    const settled = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
        status.updatedReplicas === wanted && status.availableReplicas === wanted && (status.replicas ?? 0) === wanted;
    return { ...base, state: settled ? "ready" : "progressing" };
}

/** The state of each named service's Deployment in `namespace`, in the order given. */
export async function serviceStates(api: WorkloadApi, namespace: string, services: readonly string[]): Promise<ServiceState[]> {
    const [deployments, replicaSets, pods] = await Promise.all([api.deployments(namespace), api.replicaSets(namespace), api.pods(namespace)]);
    return services.map((service) => {
        const deployment = deployments.find((d) => d.metadata?.name === service);
        const selector = deployment?.spec?.selector.matchLabels ?? {};
        const own = pods.filter((pod) => Object.entries(selector).every(([key, value]) => pod.metadata?.labels?.[key] === value));
        return deploymentState(service, deployment, replicaSets, own);
    });
}

/** The real WorkloadApi on @kubernetes/client-node's AppsV1Api and CoreV1Api. */
export async function kubernetesWorkloadApi(source: KubeconfigSource): Promise<WorkloadApi> {
    const { k8s, config } = await loadKubeConfig(source);
    const apps = config.makeApiClient(k8s.AppsV1Api);
    const core = config.makeApiClient(k8s.CoreV1Api);
    return {
        deployments: async (namespace) => (await apps.listNamespacedDeployment({ namespace })).items,
        replicaSets: async (namespace) => (await apps.listNamespacedReplicaSet({ namespace })).items,
        pods: async (namespace) => (await core.listNamespacedPod({ namespace })).items,
    };
}
