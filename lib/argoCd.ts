/** ArgoCD's conventions that both the config checks and the ArgoCd component apply. */

/** The API server ArgoCD runs in, as ArgoCD names it. */
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

/**
 * Whether an AppProject's patterns permit `value`, as ArgoCD decides for source repositories and
 * destination namespaces: some pattern matches and no `!pattern` does; `*` matches anything.
 */
export function projectPermits(patterns: readonly string[], value: string): boolean {
    const denied = patterns.some((p) => p.startsWith("!") && globMatch(p.slice(1), value));
    return !denied && patterns.some((p) => !p.startsWith("!") && globMatch(p, value));
}

function globMatch(pattern: string, value: string): boolean {
    const regex = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    return new RegExp(`^${regex}$`).test(value);
}
