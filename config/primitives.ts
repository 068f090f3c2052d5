import { z } from "zod";
import { cidrProblem } from "../lib/cidr";
import { goDurationSeconds } from "../lib/duration";
import { imageReferenceProblem, isImageRepository, isImageTag, parseImageReference } from "../lib/imageRef";
import { isPositiveQuantity, quantityProblem } from "../lib/quantity";
import { dnsNameProblem, isDnsSubdomain, labelKeyProblem, labelValueProblem } from "../lib/naming";
import { rfc3339UtcProblem } from "../lib/timestamp";

/** Schemas for the scalar values the config contract is made of; each message says what is expected. */

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1035 label: names Services and Deployments. */
export const dnsLabel = z.string().max(63, { error: "expected at most 63 characters (a DNS label)" })
    .regex(DNS_LABEL, { error: "expected a DNS label: lowercase letters, digits and '-', starting with a letter" });

/** A DNS-1123 subdomain: names Secrets and ClusterIssuers. */
export const dnsSubdomain = z.string().max(253, { error: "expected at most 253 characters (a DNS subdomain)" })
    // Over-long values have their own message above.
    .refine((v) => v.length > 253 || isDnsSubdomain(v), {
        error: "expected a DNS subdomain: lowercase letters, digits, '-' and '.'",
    });

/** A fully qualified DNS name with at least two labels, e.g. `shop.pilab.hu`; an Ingress takes it as a host. */
export const dnsName = z.string().superRefine((value, ctx) => {
    const problem = dnsNameProblem(value);
    if (problem !== undefined) {
        ctx.addIssue({ code: "custom", message: `expected a lowercase DNS name with at least two labels, e.g. shop.pilab.hu, but ${problem}` });
    }
});

/**
 * Kubernetes labels, as a map of key to value: each key `[prefix/]name` and each value as the API
 * server takes them (at most 63 characters, no spaces); a problem is reported at the label's key.
 */
export const labels = z.record(z.string(), z.string({ error: "expected a label value (a string)" })).superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem !== undefined) {
            ctx.addIssue({ code: "custom", path: [key], message: `expected a label key such as team or example.com/team, but ${keyProblem}` });
        }
        const valueProblem = typeof value === "string" ? labelValueProblem(value) : undefined;
        if (valueProblem !== undefined) {
            ctx.addIssue({ code: "custom", path: [key], message: `expected a label value such as shop-team, but ${valueProblem}` });
        }
    }
});

const QUANTITY_EXAMPLES = "a positive Kubernetes quantity such as 250m, 0.5, 512Mi or 2Gi";

/** A Kubernetes quantity greater than zero, read within the bounds of lib/quantity.ts (so a typo such as 1e2000000 cannot hang preview). */
export const quantity = z.string().superRefine((value, ctx) => {
    const problem = quantityProblem(value);
    if (problem !== undefined) {
        ctx.addIssue({ code: "custom", message: `expected ${QUANTITY_EXAMPLES}, but ${problem}` });
    } else if (!isPositiveQuantity(value)) {
        ctx.addIssue({ code: "custom", message: `expected ${QUANTITY_EXAMPLES}` });
    }
});

/** `latest` and friends move under a stack without a config change, so a rollout could not be repeated or undone. */
const FLOATING_TAGS = new Set(["latest"]);

export const imageTag = z.string()
    .refine(isImageTag, { error: "expected an image tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'" })
    .refine((v) => !FLOATING_TAGS.has(v), { error: "a floating tag like 'latest' cannot be rolled out or undone; pin a version or a digest" });

export const imageRepository = z.string().refine(isImageRepository, {
    error: "expected an image repository without tag or digest, e.g. ghcr.io/acme/cart-service",
});

/** A full image reference that pins a tag or digest. */
export const imageReference = z.string().superRefine((value, ctx) => {
    const ref = parseImageReference(value);
    if (ref === undefined) {
        ctx.addIssue({
            code: "custom",
            message: `expected an image reference such as ghcr.io/acme/cart-service:v2 or repo@sha256:<64 hex digits>, but ${imageReferenceProblem(value)}`,
        });
    } else if (ref.tag === undefined && ref.digest === undefined) {
        ctx.addIssue({ code: "custom", message: "the reference has no tag or digest; pin one, e.g. ghcr.io/acme/cart-service:v2" });
    } else if (ref.digest === undefined && ref.tag !== undefined && FLOATING_TAGS.has(ref.tag)) {
        ctx.addIssue({ code: "custom", message: "a floating tag like 'latest' cannot be rolled out or undone; pin a version or a digest" });
    }
});

export const rfc3339Utc = z.string().superRefine((value, ctx) => {
    const problem = rfc3339UtcProblem(value);
    if (problem !== undefined) {
        ctx.addIssue({
            code: "custom",
            message: `expected an RFC3339 UTC timestamp such as 2025-01-15T14:30:00Z, but ${problem}; ` +
                `set one with: pulumi config set deployedAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
        });
    }
});

/** An IP block in canonical form, as a NetworkPolicy's `ipBlock.cidr`. */
export const cidr = z.string({ error: "expected an IP block such as 10.20.0.0/16 (a string)" }).superRefine((value, ctx) => {
    const problem = cidrProblem(value);
    if (problem !== undefined) {
        ctx.addIssue({ code: "custom", message: problem });
    }
});

/** A Go duration (`30s`, `1m`, `1m30s`; a bare number is not one) from `minSeconds` to `maxSeconds`. */
export const goDuration = (minSeconds: number, maxSeconds = Infinity) => z.string({ error: "expected a duration with a unit, such as 30s, 1m or 1m30s" })
    .superRefine((value, ctx) => {
        const seconds = goDurationSeconds(value);
        if (seconds === undefined) {
            ctx.addIssue({ code: "custom", message: "expected a duration with a unit, such as 30s, 1m or 1m30s" });
        } else if (seconds < minSeconds) {
            ctx.addIssue({ code: "custom", message: `expected at least ${minSeconds}s` });
        } else if (seconds > maxSeconds) {
            ctx.addIssue({ code: "custom", message: `expected at most ${maxSeconds}s` });
        }
    });

export const httpPath = z.string().regex(/^\/[^\s?#]*$/, { error: "expected an absolute HTTP path such as /healthz" });

export const port = z.int({ error: "expected a whole number" }).min(1, { error: "expected a port from 1 to 65535" })
    .max(65535, { error: "expected a port from 1 to 65535" });

export const positiveInt = z.int({ error: "expected a whole number" }).positive({ error: "expected a positive whole number" });

const REPLICAS = "expected a whole number of replicas from 0 to 100";

/** Replicas of a service: none (paused) to 100. */
export const replicaCount = z.int({ error: REPLICAS }).min(0, { error: REPLICAS }).max(100, { error: REPLICAS });

/** The largest number the rollouts controller reads into its 32-bit fields (seconds, replicas, pods). */
export const MAX_INT32 = 2 ** 31 - 1;

type OneOf<S extends Record<string, z.ZodType>> = { [K in keyof S]: { readonly [P in K]: z.output<S[K]> } }[keyof S];

/**
 * A choice that carries data, written as an object with exactly one of the keys of `shape`
 * (`{ canary: {...} }` or `{ blueGreen: {...} }`). Parsed as one strict object so a problem inside
 * the chosen key is reported at its own full key, not as "no option matched".
 */
export function exactlyOneOf<S extends Record<string, z.ZodType>>(shape: S) {
    const keys = Object.keys(shape);
    const choices = keys.join(", ");
    const optional = Object.fromEntries(keys.map((key) => [key, shape[key]!.optional()])) as { [K in keyof S]: z.ZodOptional<S[K]> };
    const givenKeys = (value: object) => keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    return z.strictObject(optional)
        .superRefine((value, ctx) => {
            const given = givenKeys(value);
            if (given.length !== 1) {
                ctx.addIssue({
                    code: "custom",
                    message: given.length === 0 ? `expected one of ${choices}` : `expected exactly one of ${choices}, but ${given.join(" and ")} are set`,
                });
            }
        })
        .transform((value): OneOf<S> => {
            const [key] = givenKeys(value);
            return (key === undefined ? z.NEVER : { [key]: (value as Record<string, unknown>)[key] }) as OneOf<S>;
        });
}
