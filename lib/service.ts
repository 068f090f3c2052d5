/** A service of the catalogue, as the `services` config key describes it. */
export interface ServiceSpec {
    /** DNS-1035 label; names the Deployment, Service and Ingress path. */
    readonly name: string;
    /** Repository without tag or digest, e.g. `ghcr.io/acme/cart-service`. */
    readonly image: string;
    /** Container port the app listens on, also the Service port. */
    readonly port: number;
    /** HTTP path for readiness and liveness probes. */
    readonly healthPath: string;
    /** Replicas when the environment is active. */
    readonly replicas: number;
    /** Container requests and limits as Kubernetes quantities. */
    readonly resources: ResourceRequirements;
}

export interface ComputeResources {
    readonly cpu: string;
    readonly memory: string;
}

export interface ResourceRequirements {
    readonly requests: ComputeResources;
    readonly limits: ComputeResources;
}

/** The label naming the service a pod belongs to; the ServiceMonitors make it the series' `job`. */
export const SERVICE_NAME_LABEL = "app.kubernetes.io/name";

/** The recommended labels that identify one service's pods; also their selector. */
export function selectorLabels(service: string): Record<string, string> {
    return { [SERVICE_NAME_LABEL]: service };
}

/** Every label a service's objects carry. */
export function serviceLabels(service: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
        ...selectorLabels(service),
        "app.kubernetes.io/part-of": "rollout-stacks",
        "app.kubernetes.io/managed-by": "pulumi",
        ...extra,
    };
}

/** A rolling update's surge, in percent of the replicas: new pods start before old ones stop (maxUnavailable 0). */
export const ROLLING_SURGE_PERCENT = 25;

/** The extra pods a rolling update of `replicas` runs at once; Kubernetes rounds the percentage up (one pod for 1 to 4). */
export function surgePods(replicas: number): number {
    return Math.ceil((replicas * ROLLING_SURGE_PERCENT) / 100);
}

/** How long a PR stack's update waits for a service's new pods to be ready (`pr.readyTimeout`). */
export const DEFAULT_PR_READY_TIMEOUT_SECONDS = 300;
