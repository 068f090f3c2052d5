import { createHash } from "node:crypto";
import { isIP } from "node:net";

/** Kubernetes caps namespace and label values at 63 characters (DNS-1123 label). */
export const MAX_DNS_LABEL = 63;

/** Kubernetes caps object names such as Secrets' (DNS-1123 subdomain), and DNS caps host names, at 253 characters. */
export const MAX_DNS_NAME = 253;

const HASH_LENGTH = 8;

/** The Pulumi stack name of pull request `n`: `pr-<n>`. */
export function prStackName(prNumber: number): string {
    return `pr-${prNumber}`;
}

/**
 * The PR a stack name is for (`pr-12`, also as `org/project/pr-12`), or undefined for any other
 * name: the stacks the release bot's reaper treats as PR stacks, pausing and destroying them.
 */
export function prNumberOfStack(stackName: string): number | undefined {
    const match = /^pr-([1-9][0-9]*)$/.exec(stackName.split("/").pop() ?? "");
    return match === null ? undefined : Number(match[1]);
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

/** The public host of a long-lived environment when none is configured: `<name>.<domain>`. */
export function environmentHost(name: string, domain: string): string {
    return `${name}.${domain}`;
}

/** The TLS Secret cert-manager writes for `host` when no existing one is named: `<host with dots as dashes>-tls`. */
export function tlsSecretNameFor(host: string): string {
    return `${host.replace(/\./g, "-")}-tls`;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a DNS-1123 subdomain, the names of Secrets and ClusterIssuers and label key prefixes: at most 253 characters of lowercase DNS labels of at most 63. */
export function isDnsSubdomain(value: string): boolean {
    return value.length <= MAX_DNS_NAME && value.split(".").every((label) => label.length <= MAX_DNS_LABEL && DNS_1123_LABEL.test(label));
}

/**
 * Why `value` is no lowercase DNS name of at least two labels that can serve as an Ingress host
 * (`shop.pilab.hu`), or undefined when it is one: at most 253 characters, labels of at most 63,
 * and not an IP address (the API server refuses those as Ingress hosts).
 */
export function dnsNameProblem(value: string): string | undefined {
    if (value.length > MAX_DNS_NAME) {
        return `it is ${value.length} characters long; a DNS name has at most ${MAX_DNS_NAME}`;
    }
    const labels = value.split(".");
    const long = labels.find((label) => label.length > MAX_DNS_LABEL);
    if (long !== undefined) {
        return `its label ${long.slice(0, 20)}... is ${long.length} characters long; a DNS label has at most ${MAX_DNS_LABEL}`;
    }
    if (labels.length < 2 || !labels.every((label) => DNS_1123_LABEL.test(label))) {
        return "it is not a lowercase DNS name of letters, digits, '-' and '.' with at least two labels";
    }
    return isIP(value) === 0 ? undefined : "it is an IP address; an Ingress host must be a DNS name";
}

/** A label's name, and the name part of a label key: letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Why `value` cannot be a Kubernetes label value, or undefined when it can (apimachinery's IsValidLabelValue). */
export function labelValueProblem(value: string): string | undefined {
    if (value.length > MAX_DNS_LABEL) {
        return `it is ${value.length} characters long; a label value has at most ${MAX_DNS_LABEL}`;
    }
    return value === "" || LABEL_NAME.test(value)
        ? undefined
        : "a label value is empty, or letters, digits, '-', '_' and '.' that start and end with a letter or digit (no spaces)";
}

/**
 * Why `key` cannot be a Kubernetes label or annotation key, or undefined when it can
 * (apimachinery's IsQualifiedName): `[prefix/]name`, the prefix a DNS subdomain of at most 253
 * characters, the name at most 63 characters of letters, digits, '-', '_' and '.'.
 */
export function labelKeyProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) {
        return "a key has at most one '/', between its prefix and its name";
    }
    const [prefix, name] = parts.length === 2 ? parts as [string, string] : [undefined, key];
    if (prefix !== undefined && !isDnsSubdomain(prefix)) {
        return `its prefix ${JSON.stringify(prefix.slice(0, 60))} is not a lowercase DNS subdomain of at most ${MAX_DNS_NAME} characters, such as example.com`;
    }
    if (name.length === 0 || name.length > MAX_DNS_LABEL) {
        return `its name part is ${name.length} characters long; it has 1 to ${MAX_DNS_LABEL}`;
    }
    return LABEL_NAME.test(name) ? undefined : "its name part is letters, digits, '-', '_' and '.', starting and ending with a letter or digit (no spaces)";
}

/** The in-cluster DNS name of a Service. */
export function clusterServiceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.cluster.local`;
}
