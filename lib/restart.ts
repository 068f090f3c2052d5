/**
 * The restart trigger. `kubectl rollout restart` writes this annotation onto the pod template;
 * we write `deployedAt` there, so a new value rolls the workload and an unchanged one is no diff.
 */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

/** The pod-template annotations for `deployedAt`: none when it is unset. */
export function restartAnnotations(deployedAt: string | undefined): Record<string, string> {
    return deployedAt === undefined ? {} : { [RESTARTED_AT_ANNOTATION]: deployedAt };
}

/** The Pulumi property path of the restart annotation on a workload with a pod template. */
export const RESTARTED_AT_PATH = `spec.template.metadata.annotations["${RESTARTED_AT_ANNOTATION}"]`;

/**
 * While an environment is paused its workloads keep the restart annotation they last had, so that
 * a `deployedAt` set during the pause is applied once, when the environment wakes up, rather than
 * rolling pods that are scaled to zero now and again on resume.
 */
export function restartHoldPaths(hold: boolean): string[] {
    return hold ? [RESTARTED_AT_PATH] : [];
}
