import { ContainerInfo } from "./workloads";

/** Every container states CPU and memory limits, so one service cannot starve its neighbours. */
export function limitProblems(containers: readonly ContainerInfo[]): string[] {
    return containers.flatMap(({ label, container }) => {
        const limits = container.resources?.limits ?? {};
        const missing = ["cpu", "memory"].filter((resource) => limits[resource] === undefined || limits[resource] === null || limits[resource] === "");
        return missing.length === 0 ? [] : [`${label} has no ${missing.join(" or ")} limit; set resources.limits.${missing[0]}`];
    });
}

/**
 * Every container runs as a non-root user: runAsNonRoot true or a non-zero runAsUser, on the
 * container or inherited from the pod (the container's own setting wins, as in Kubernetes).
 */
export function nonRootProblems(containers: readonly ContainerInfo[]): string[] {
    return containers.flatMap(({ label, container, podSecurityContext }) => {
        const own = container.securityContext ?? {};
        const runAsUser = own.runAsUser ?? podSecurityContext.runAsUser;
        const runAsNonRoot = own.runAsNonRoot ?? podSecurityContext.runAsNonRoot;
        if (runAsUser === 0) {
            return [`${label} runs as root (runAsUser: 0); use an unprivileged user id`];
        }
        if (runAsNonRoot === true || (typeof runAsUser === "number" && runAsUser > 0)) {
            return [];
        }
        return [`${label} may run as root; set securityContext.runAsNonRoot: true (on the container or the pod)`];
    });
}

/** Every container has a read-only root filesystem; writable paths are explicit volumes. */
export function readOnlyRootProblems(containers: readonly ContainerInfo[]): string[] {
    return containers.flatMap(({ label, container }) => container.securityContext?.readOnlyRootFilesystem === true
        ? []
        : [`${label} has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it writes`]);
}

/** The only capability Pod Security's restricted profile lets a container add: binding ports below 1024. */
const ADDABLE_CAPABILITIES: readonly string[] = ["NET_BIND_SERVICE"];

/**
 * Every container gives up privilege as Pod Security's restricted profile asks: not privileged,
 * no privilege escalation (set to false, since it defaults to true), every capability dropped and
 * none added but NET_BIND_SERVICE.
 */
export function privilegeProblems(containers: readonly ContainerInfo[]): string[] {
    return containers.flatMap(({ label, container }) => {
        const context = container.securityContext ?? {};
        const problems: string[] = [];
        if (context.privileged === true) {
            problems.push(`${label} is privileged; remove securityContext.privileged`);
        }
        if (context.allowPrivilegeEscalation !== false) {
            problems.push(`${label} may escalate its privileges; set securityContext.allowPrivilegeEscalation: false`);
        }
        const added = ((context.capabilities?.add ?? []) as unknown[]).map(String).filter((capability) => !ADDABLE_CAPABILITIES.includes(capability));
        if (added.length > 0) {
            problems.push(`${label} adds the capabilities ${added.join(", ")}; remove them from securityContext.capabilities.add`);
        }
        if (!((context.capabilities?.drop ?? []) as unknown[]).map(String).includes("ALL")) {
            problems.push(`${label} keeps the runtime's default capabilities; set securityContext.capabilities.drop: [ALL]`);
        }
        return problems;
    });
}

/** Pod fields that share the node's namespaces, each of which lets a pod see or reach the node. */
const HOST_NAMESPACE_FIELDS = ["hostNetwork", "hostPID", "hostIPC"] as const;

/** The pod stays in its own namespaces and mounts nothing of the node's filesystem. */
export function hostAccessProblems(podSpec: Record<string, any>): string[] {
    const shared = HOST_NAMESPACE_FIELDS.filter((field) => podSpec[field] === true)
        .map((field) => `the pod shares the node's ${field.slice("host".length).toLowerCase()} namespace (${field}: true); remove ${field}`);
    const hostPaths = ((podSpec.volumes ?? []) as Record<string, any>[]).filter((volume) => volume?.hostPath !== undefined && volume?.hostPath !== null)
        .map((volume) => `volume ${String(volume.name)} mounts the node's ${String(volume.hostPath.path)} (hostPath); use an emptyDir, a ConfigMap or a PersistentVolumeClaim`);
    return [...shared, ...hostPaths];
}
