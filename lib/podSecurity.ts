/** Pod Security Standards, as the namespace labels the API server's admission reads. */

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** The labels that enforce, audit and warn about `level`, at the cluster's latest standard. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
    };
}
