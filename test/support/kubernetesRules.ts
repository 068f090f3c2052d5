import { isIP } from "node:net";
import { validateCustomResource } from "./crdModels";
import { validateKubernetesObject } from "./kubernetesModels";
import { RegisteredResource, revealSecrets } from "./program";

/**
 * The rules the API server and the kubelet apply to names, labels, hosts, quantities and image
 * digests, written here from apimachinery's validation (k8s.io/apimachinery/pkg/util/validation,
 * resource.Quantity) and the OCI digest package, apart from the program's own checks: a test that
 * compared the program with itself could not fail. The OpenAPI schemas of kubernetes-models check
 * types only, not these.
 */

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** IsDNS1123Label: namespaces, container names. */
export function isDns1123Label(value: string): boolean {
    return value.length <= 63 && DNS_1123_LABEL.test(value);
}

/** IsDNS1035Label: Service names. */
export function isDns1035Label(value: string): boolean {
    return value.length <= 63 && DNS_1035_LABEL.test(value);
}

/** IsDNS1123Subdomain: most object names (Deployments, Secrets, Ingresses, custom resources). */
export function isDns1123Subdomain(value: string): boolean {
    return value.length <= 253 && DNS_1123_SUBDOMAIN.test(value);
}

/** IsQualifiedName: label and annotation keys, `[prefix/]name`. */
export function isQualifiedName(value: string): boolean {
    const parts = value.split("/");
    const name = parts.at(-1)!;
    const prefixOk = parts.length === 1 || (parts.length === 2 && parts[0] !== "" && isDns1123Subdomain(parts[0]!));
    return parts.length <= 2 && prefixOk && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** IsValidLabelValue. */
export function isLabelValue(value: string): boolean {
    return value === "" || (value.length <= 63 && QUALIFIED_NAME.test(value));
}

/**
 * An Ingress rule's host: a DNS-1123 subdomain that is not an IP address. DNS itself adds labels of
 * at most 63 characters, which the API server does not check but no resolver would serve.
 */
export function isIngressHost(value: string): boolean {
    return isDns1123Subdomain(value) && value.split(".").every((label) => label.length <= 63) && isIP(value) === 0;
}

const QUANTITY = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const POWERS: Readonly<Record<string, [bigint, number]>> = {
    n: [1n, -9], u: [1n, -6], m: [1n, -3], "": [1n, 0], k: [1n, 3], M: [1n, 6], G: [1n, 9], T: [1n, 12], P: [1n, 15], E: [1n, 18],
    Ki: [2n ** 10n, 0], Mi: [2n ** 20n, 0], Gi: [2n ** 30n, 0], Ti: [2n ** 40n, 0], Pi: [2n ** 50n, 0], Ei: [2n ** 60n, 0],
};

/**
 * A quantity the API server stores as written: its grammar, and an amount of at most 2^63-1 base
 * units (above that apimachinery silently caps it). Only for values of bounded length: the
 * amount is worked out exactly, as a fraction.
 */
export function isStoredQuantity(value: string): boolean {
    const match = QUANTITY.exec(value);
    if (match === null) {
        return false;
    }
    const [number, suffix = ""] = [match[1]!, match[2]];
    const [whole, fraction = ""] = number.split(".");
    const [factor, exponent] = /^[eE][+-]?\d/.test(suffix) ? [1n, Number(suffix.slice(1))] : POWERS[suffix]!;
    // amount = digits * factor * 10^(exponent - fraction digits)
    const digits = BigInt(`${whole}${fraction}` || "0") * factor;
    const power = exponent - fraction.length;
    const max = 2n ** 63n - 1n;
    return power >= 0 ? digits * 10n ** BigInt(power) <= max : digits <= max * 10n ** BigInt(-power);
}

/** A digest the kubelet pulls by: sha256, sha384 or sha512 with exactly 64, 96 or 128 lowercase hex digits. */
export function isPullableDigest(digest: string): boolean {
    return /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/.test(digest);
}

/** The name rule of a kind: Services DNS-1035 labels, namespaces DNS-1123 labels, everything else DNS-1123 subdomains. */
function nameIsValid(kind: string, name: string): boolean {
    return kind === "Service" ? isDns1035Label(name) : kind === "Namespace" ? isDns1123Label(name) : isDns1123Subdomain(name);
}

/**
 * Everything the API server or the kubelet would refuse in one registered object: its name and
 * namespace, the keys and values of every label map and selector, annotation keys, Ingress hosts
 * and TLS Secret names, Service names an Ingress routes to, container names, quantities and image
 * digests. Empty when the object is fine.
 */
export function kubernetesRuleViolations(resource: RegisteredResource): string[] {
    const match = /^kubernetes:[^:]+:(\w+)$/.exec(resource.type);
    if (match === null) {
        return [];
    }
    const kind = match[1]!;
    const inputs = revealSecrets(resource.inputs);
    const problems: string[] = [];
    const where = `${kind} ${resource.name}`;
    const name: unknown = inputs.metadata?.name;
    if (typeof name === "string" && !nameIsValid(kind, name)) {
        problems.push(`${where}: metadata.name ${name} (${name.length} characters)`);
    }
    const namespace: unknown = inputs.metadata?.namespace;
    if (typeof namespace === "string" && !isDns1123Label(namespace)) {
        problems.push(`${where}: metadata.namespace ${namespace}`);
    }
    walk(inputs, [], (path, value) => {
        const key = path.at(-1);
        const at = `${where}: ${path.join(".")}`;
        if ((key === "labels" || key === "matchLabels") && isStringMap(value)) {
            for (const [k, v] of Object.entries(value)) {
                if (!isQualifiedName(k) || !isLabelValue(v)) {
                    problems.push(`${at}: label ${JSON.stringify(k)}=${JSON.stringify(v)}`);
                }
            }
        }
        if (key === "annotations" && isStringMap(value)) {
            problems.push(...Object.keys(value).filter((k) => !isQualifiedName(k)).map((k) => `${at}: annotation key ${JSON.stringify(k)}`));
        }
        // The rollouts controller writes these on the canary Ingress it clones, under nginx.ingress.kubernetes.io/ unless a key has it.
        if (key === "additionalIngressAnnotations" && isStringMap(value)) {
            const written = (k: string) => (k.startsWith(NGINX_ANNOTATION_PREFIX) ? k : `${NGINX_ANNOTATION_PREFIX}/${k}`);
            problems.push(...Object.keys(value).filter((k) => !isQualifiedName(written(k))).map((k) => `${at}: canary Ingress annotation key ${JSON.stringify(written(k))}`));
        }
        if (kind === "Ingress" && (key === "host" || path.at(-2) === "hosts") && typeof value === "string" && !isIngressHost(value)) {
            problems.push(`${at}: host ${value} (${value.length} characters)`);
        }
        if (kind === "Ingress" && key === "secretName" && typeof value === "string" && !isDns1123Subdomain(value)) {
            problems.push(`${at}: TLS Secret name (${value.length} characters)`);
        }
        const routesToService = (path.at(-2) === "service" && key === "name") || SERVICE_REFERENCES.has(String(key));
        if (routesToService && typeof value === "string" && !isDns1035Label(value)) {
            problems.push(`${at}: backend Service ${value}`);
        }
        if ((key === "requests" || key === "limits" || key === "hard" || key === "default" || key === "defaultRequest") && isStringMap(value)) {
            problems.push(...Object.entries(value).filter(([, q]) => !isStoredQuantity(q)).map(([r, q]) => `${at}.${r}: quantity ${q}`));
        }
        if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
            for (const container of value as { name?: unknown; image?: unknown }[]) {
                if (typeof container.name !== "string" || !isDns1123Label(container.name)) {
                    problems.push(`${at}: container name ${String(container.name)}`);
                }
                const digest = typeof container.image === "string" ? container.image.split("@")[1] : undefined;
                if (digest !== undefined && !isPullableDigest(digest)) {
                    problems.push(`${at}: image digest ${digest}`);
                }
            }
        }
    });
    return problems;
}

/** Every violation in what a program registered, and each object's schema (kubernetes-models) besides. */
export async function programViolations(resources: readonly RegisteredResource[]): Promise<string[]> {
    const problems = resources.flatMap(kubernetesRuleViolations);
    const seen = new Map<string, string>();
    for (const resource of resources) {
        const name: unknown = resource.inputs.metadata?.name;
        if (!resource.type.startsWith("kubernetes:") || typeof name !== "string") {
            continue;
        }
        const identity = `${resource.type.split(":").at(-1)} ${String(resource.inputs.metadata?.namespace ?? "")}/${name}`;
        const first = seen.get(identity);
        if (first !== undefined) {
            problems.push(`${identity} is registered twice: ${first} and ${resource.name}`);
        }
        seen.set(identity, resource.name);
        try {
            await validateCustomResource(resource) ?? validateKubernetesObject(resource);
        } catch (error) {
            problems.push(`${resource.type} ${resource.name}: ${(error as Error).message}`);
        }
    }
    return problems;
}

/** What the rollouts controller puts before an NGINX canary annotation's key (its default annotationPrefix). */
const NGINX_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io";

/** Fields of a Rollout's strategy that name a Service. */
const SERVICE_REFERENCES = new Set(["canaryService", "stableService", "activeService", "previewService"]);

function isStringMap(value: unknown): value is Record<string, string> {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
}

function walk(value: unknown, path: string[], visit: (path: string[], value: unknown) => void): void {
    visit(path, value);
    if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) {
            walk(item, [...path, key], visit);
        }
    }
}
