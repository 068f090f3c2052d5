import { createHash } from "node:crypto";

/** Kubernetes caps namespace and label values at 63 characters (DNS-1123 label). */
export const MAX_DNS_LABEL = 63;

const HASH_LENGTH = 8;

/** The Pulumi stack name of pull request `n`: `pr-<n>`. */
export function prStackName(prNumber: number): string {
    return `pr-${prNumber}`;
}

/** A short, stable digest of `value` for disambiguating shortened names. */
export function shortHash(value: string): string {
    return createHash("sha256").update(value).digest("hex").slice(0, HASH_LENGTH);
}

/**
 * Fits `name` into a DNS-1123 label. Names that already fit are returned unchanged; longer ones
 * are cut and suffixed with a hash of the full name, so the result is deterministic (the same
 * input always gives the same namespace) and two long names that share a prefix still differ.
 */
export function fitDnsLabel(name: string, max = MAX_DNS_LABEL): string {
    if (name.length <= max) {
        return name;
    }
    const head = name.slice(0, max - HASH_LENGTH - 1).replace(/-+$/, "");
    return `${head}-${shortHash(name)}`;
}

/**
 * The namespace of PR `n` under `domain`: `pr-<n>-<domain with dots as dashes>`
 * (PR 123 under `shop.pilab.hu` is `pr-123-shop-pilab-hu`), shortened by {@link fitDnsLabel}.
 */
export function prNamespaceName(prNumber: number, domain: string): string {
    return fitDnsLabel(`${prStackName(prNumber)}-${domain.toLowerCase().replace(/\./g, "-")}`);
}

/** The public host of PR `n`: `pr-<n>.<domain>`. */
export function prHost(prNumber: number, domain: string): string {
    return `${prStackName(prNumber)}.${domain}`;
}

/** The in-cluster DNS name of a Service. */
export function clusterServiceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.cluster.local`;
}
