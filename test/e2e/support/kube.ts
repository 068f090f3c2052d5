import * as k8s from "@kubernetes/client-node";

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
