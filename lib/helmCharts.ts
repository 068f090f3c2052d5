/**
 * Where a Helm chart comes from and how its values are combined. Kept apart from resource code so
 * the chart arguments the platform components pass on are testable without mocks.
 */

/**
 * A chart in a repository (`https://...` index or `oci://...` registry), or a chart on this machine
 * (a directory or `.tgz`, relative to the project directory). Air-gapped clusters, and machines
 * without the chart repositories, use the second.
 */
export type ChartSource =
    | { readonly repo: string; readonly name: string }
    | { readonly path: string };

/** The chart arguments `helm.v4.Chart` takes for a source at a pinned version. */
export interface ChartReference {
    readonly chart: string;
    readonly version?: string;
    readonly repositoryOpts?: { readonly repo: string };
}

/**
 * The chart, version and repository for Helm. A local chart carries its own version, so none is
 * passed (Helm would ignore it); an OCI registry is addressed by URL, without a repository index.
 */
export function chartReference(source: ChartSource, version: string): ChartReference {
    if ("path" in source) {
        return { chart: source.path };
    }
    if (source.repo.startsWith("oci://")) {
        return { chart: `${source.repo.replace(/\/+$/, "")}/${source.name}`, version };
    }
    return { chart: source.name, version, repositoryOpts: { repo: source.repo } };
}

export type HelmValues = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Helm's own rule for `-f base.yaml -f override.yaml`: maps merge key by key, anything else (lists
 * included) is replaced by the override.
 */
export function mergeValues(base: HelmValues, override: HelmValues): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
        const current = merged[key];
        merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
    }
    return merged;
}
