import { maybeKnown, PolicyInput } from "./resource";

/** Where each workload kind keeps its pod spec. Pod-spec-less kinds are not listed. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:core/v1:ReplicationController": ["spec", "template", "spec"],
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "kubernetes:argoproj.io/v1alpha1:Rollout": ["spec", "template", "spec"],
};

/** A container of a workload's pod template, with what a rule needs to judge it. */
export interface ContainerInfo {
    /** `container cart-service` or `init container migrate`. */
    readonly label: string;
    readonly container: Record<string, any>;
    /** The pod-level securityContext, which containers inherit runAsNonRoot and runAsUser from. */
    readonly podSecurityContext: Record<string, any>;
}

/** True for the workload kinds whose containers the rules check. */
export function isWorkload(resource: PolicyInput): boolean {
    return resource.type in POD_SPEC_PATHS;
}

/** The workload's namespace; undefined while it is not known (preview) or not set. */
export function workloadNamespace(resource: PolicyInput): string | undefined {
    const namespace = maybeKnown(() => resource.props.metadata?.namespace);
    return typeof namespace === "string" ? namespace : undefined;
}

/**
 * The pod spec of a workload's pod template; undefined for other resources, and for a Rollout that
 * points at a Deployment (`workloadRef`) instead of having a template of its own.
 */
export function workloadPodSpec(resource: PolicyInput): Record<string, any> | undefined {
    const path = POD_SPEC_PATHS[resource.type];
    if (path === undefined) {
        return undefined;
    }
    let podSpec: any = resource.props;
    for (const key of path) {
        podSpec = podSpec?.[key];
    }
    return podSpec === undefined || podSpec === null ? undefined : podSpec;
}

/**
 * The containers and init containers of a workload's pod template. A Rollout that points at a
 * Deployment (`workloadRef`) has no template of its own; its Deployment is checked instead.
 */
export function workloadContainers(resource: PolicyInput): ContainerInfo[] {
    const podSpec = workloadPodSpec(resource);
    if (podSpec === undefined) {
        return [];
    }
    const podSecurityContext = podSpec.securityContext ?? {};
    const list = (field: "containers" | "initContainers", label: string): ContainerInfo[] =>
        ((podSpec[field] ?? []) as Record<string, any>[]).map((container) => ({ label: `${label} ${String(container.name)}`, container, podSecurityContext }));
    return [...list("initContainers", "init container"), ...list("containers", "container")];
}
