import type { V1Pod } from "@kubernetes/client-node";
import { BotError, EXIT } from "../errors";
import { KubeconfigSource, loadKubeConfig } from "../kubeconfig";
import { AnalysisRun } from "./analysis";
import { ANALYSIS_RUN_PLURAL, POD_TEMPLATE_HASH_LABEL, Rollout, ROLLOUT_GROUP, ROLLOUT_PLURAL, ROLLOUT_VERSION } from "./types";

/** Reads and patches Rollouts; {@link kubernetesRolloutApi} is the real one, tests pass their own. */
export interface RolloutApi {
    get(namespace: string, name: string): Promise<Rollout>;
    list(namespace: string): Promise<Rollout[]>;
    /** A JSON merge patch (a whole patch document) of the Rollout, or of its status subresource. */
    patch(namespace: string, name: string, body: object, subresource?: "status"): Promise<Rollout>;
    /** The AnalysisRuns started for the ReplicaSet with this pod-template hash, by any Rollout of the namespace. */
    analysisRuns(namespace: string, podHash: string): Promise<AnalysisRun[]>;
    /** The pods of the ReplicaSet with this pod-template hash: where the kubelet says why they do not start. */
    pods(namespace: string, podHash: string): Promise<V1Pod[]>;
}

/** The error a RolloutApi raises for an HTTP status, so the plugin's NotFound fallback can be mirrored. */
export class KubernetesApiError extends Error {
    constructor(message: string, readonly statusCode: number) {
        super(message);
        this.name = "KubernetesApiError";
    }
}

/** The real RolloutApi on @kubernetes/client-node's CustomObjectsApi. */
export async function kubernetesRolloutApi(source: KubeconfigSource): Promise<RolloutApi> {
    const { k8s, config } = await loadKubeConfig(source);
    const api = config.makeApiClient(k8s.CustomObjectsApi);
    const core = config.makeApiClient(k8s.CoreV1Api);
    const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
        try {
            return await call();
        } catch (error) {
            if (error instanceof k8s.ApiException) {
                const reason = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
                throw new KubernetesApiError(`${what}: HTTP ${error.code} ${reason}`, error.code);
            }
            throw error;
        }
    };
    const base = { group: ROLLOUT_GROUP, version: ROLLOUT_VERSION, plural: ROLLOUT_PLURAL };
    return {
        get: (namespace, name) => wrap(`get Rollout ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...base, namespace, name })) as Promise<Rollout>,
        list: async (namespace) => {
            const list = await wrap(`list Rollouts in ${namespace}`, () => api.listNamespacedCustomObject({ ...base, namespace })) as { items?: Rollout[] };
            return list.items ?? [];
        },
        analysisRuns: async (namespace, podHash) => {
            const list = await wrap(`list AnalysisRuns in ${namespace}`, () => api.listNamespacedCustomObject({
                ...base, plural: ANALYSIS_RUN_PLURAL, namespace, labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${podHash}`,
            })) as { items?: AnalysisRun[] };
            return list.items ?? [];
        },
        pods: async (namespace, podHash) => (await wrap(`list pods in ${namespace}`,
            () => core.listNamespacedPod({ namespace, labelSelector: `${POD_TEMPLATE_HASH_LABEL}=${podHash}` }))).items,
        patch: (namespace, name, body, subresource) => wrap(
            `patch Rollout ${namespace}/${name}${subresource === undefined ? "" : `/${subresource}`}`,
            () => subresource === "status"
                ? api.patchNamespacedCustomObjectStatus({ ...base, namespace, name, body }, mergePatch)
                : api.patchNamespacedCustomObject({ ...base, namespace, name, body }, mergePatch),
        ) as Promise<Rollout>,
    };
}

/** A missing Rollout is "not found" (exit 4) with a hint, not a raw HTTP error. */
export async function getRollout(api: RolloutApi, namespace: string, name: string): Promise<Rollout> {
    try {
        return await api.get(namespace, name);
    } catch (error) {
        if (error instanceof KubernetesApiError && error.statusCode === 404) {
            throw new BotError(`no Rollout ${name} in namespace ${namespace}; \`status\` lists the stack's Rollouts`, EXIT.notFound);
        }
        throw error;
    }
}
