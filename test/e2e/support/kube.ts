import * as k8s from "@kubernetes/client-node";

/** The slice of an Argo Rollout's status the scenarios read. */
export interface RolloutStatus {
    readonly phase?: string;
    readonly message?: string;
    readonly currentStepIndex?: number;
    readonly currentPodHash?: string;
    readonly stableRS?: string;
    readonly abort?: boolean;
    readonly observedGeneration?: string;
    readonly pauseConditions?: readonly { readonly reason?: string }[];
    readonly blueGreen?: { readonly activeSelector?: string; readonly previewSelector?: string };
}

/** A Kubernetes API client on the suite's kubeconfig, and the reads the scenarios assert on. */
export class Cluster {
    private readonly config = new k8s.KubeConfig();
    readonly core: k8s.CoreV1Api;
    readonly apps: k8s.AppsV1Api;
    readonly networking: k8s.NetworkingV1Api;
    readonly custom: k8s.CustomObjectsApi;

    constructor(kubeconfigPath: string) {
        this.config.loadFromFile(kubeconfigPath);
        this.core = this.config.makeApiClient(k8s.CoreV1Api);
        this.apps = this.config.makeApiClient(k8s.AppsV1Api);
        this.networking = this.config.makeApiClient(k8s.NetworkingV1Api);
        this.custom = this.config.makeApiClient(k8s.CustomObjectsApi);
    }

    async namespaceExists(name: string): Promise<boolean> {
        try {
            const namespace = await this.core.readNamespace({ name });
            return namespace.status?.phase !== "Terminating";
        } catch (error) {
            if (isNotFound(error)) {
                return false;
            }
            throw error;
        }
    }

    async deployments(namespace: string): Promise<k8s.V1Deployment[]> {
        return (await this.apps.listNamespacedDeployment({ namespace })).items;
    }

    /** ReplicaSets per owning Deployment name. */
    async replicaSetsByDeployment(namespace: string): Promise<Map<string, k8s.V1ReplicaSet[]>> {
        const byOwner = new Map<string, k8s.V1ReplicaSet[]>();
        for (const rs of (await this.apps.listNamespacedReplicaSet({ namespace })).items) {
            const owner = rs.metadata?.ownerReferences?.find((ref) => ref.kind === "Deployment")?.name;
            if (owner !== undefined) {
                byOwner.set(owner, [...(byOwner.get(owner) ?? []), rs]);
            }
        }
        return byOwner;
    }

    async rollout(namespace: string, name: string): Promise<{ generation?: number; status: RolloutStatus }> {
        const object = await this.custom.getNamespacedCustomObject({
            group: "argoproj.io", version: "v1alpha1", namespace, plural: "rollouts", name,
        }) as { metadata: { generation?: number }; status?: RolloutStatus };
        return { generation: object.metadata.generation, status: object.status ?? {} };
    }

    /** Waits for the controller to have seen the Rollout's latest spec and to report `phase`. */
    async rolloutPhase(namespace: string, name: string, phase: string, timeoutMs = 180_000): Promise<RolloutStatus> {
        return this.eventually(`${namespace}/${name} to be ${phase}`, async () => {
            const { generation, status } = await this.rollout(namespace, name);
            return String(generation) === status.observedGeneration && status.phase === phase ? status : undefined;
        }, timeoutMs);
    }

    /** Replicas and image of each of a Rollout's ReplicaSets, by pod-template hash. */
    async rolloutReplicaSets(namespace: string, name: string): Promise<Map<string, { replicas: number; image: string }>> {
        const sets = (await this.apps.listNamespacedReplicaSet({ namespace })).items
            .filter((rs) => rs.metadata?.ownerReferences?.some((ref) => ref.kind === "Rollout" && ref.name === name));
        return new Map(sets.map((rs) => [rs.metadata!.labels!["rollouts-pod-template-hash"]!, {
            replicas: rs.spec?.replicas ?? 0,
            image: rs.spec!.template!.spec!.containers[0]!.image!,
        }]));
    }

    /** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
    async eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        let last: unknown;
        while (Date.now() < deadline) {
            try {
                const value = await check();
                if (value !== undefined) {
                    return value;
                }
            } catch (error) {
                last = error;
            }
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    }
}

export function isNotFound(error: unknown): boolean {
    return (error as { code?: number }).code === 404;
}

export function restartedAt(deployment: k8s.V1Deployment): string | undefined {
    return deployment.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"];
}
