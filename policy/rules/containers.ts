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
