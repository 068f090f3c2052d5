import { z } from "zod";
import { BACKEND_KINDS, backendEndpoint, backendUrlProblem } from "../lib/backends";
import { prIsolation } from "../lib/isolation";
import { SLACK_SERVICE } from "../lib/notifications";
import { dnsNameProblem, environmentHost, MAX_DNS_LABEL, MAX_DNS_NAME, prHost, tlsSecretNameFor } from "../lib/naming";
import { parseQuantity } from "../lib/quantity";
import { DeliveryStrategy, rolloutServiceNames, strategyKind } from "../lib/rolloutStrategy";
import { DEFAULT_PR_READY_TIMEOUT_SECONDS, surgePods } from "../lib/service";
import {
    cidr, dnsLabel, goDuration, dnsName, dnsSubdomain, httpPath, imageReference, imageRepository, imageTag, port,
    positiveInt, quantity, replicaCount, rfc3339Utc,
} from "./primitives";
import { appMetricsSchema } from "./appMetrics";
import { environmentSchema, unknownSubscriptionServices } from "./environment";
import { platformSchema } from "./platform";
import { secret } from "./secrets";

const computeResources = z.strictObject({ cpu: quantity, memory: quantity });

const resourceRequirements = z.strictObject({
    requests: computeResources.default({ cpu: "50m", memory: "64Mi" }),
    limits: computeResources.default({ cpu: "500m", memory: "256Mi" }),
}).superRefine((value, ctx) => {
    for (const resource of ["cpu", "memory"] as const) {
        const request = parseQuantity(value.requests[resource]);
        const limit = parseQuantity(value.limits[resource]);
        if (request !== undefined && limit !== undefined && request > limit) {
            ctx.addIssue({
                code: "custom",
                path: ["requests", resource],
                message: `the request exceeds the limit (${value.limits[resource]}); lower the request or raise limits.${resource}`,
            });
        }
    }
});

export const serviceSchema = z.strictObject({
    name: dnsLabel,
    image: imageRepository,
    port,
    healthPath: httpPath.default("/healthz"),
    replicas: replicaCount.default(1),
    resources: resourceRequirements.default({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } }),
});

const servicesSchema = z.array(serviceSchema).min(1, { error: "expected at least one service" }).superRefine((services, ctx) => {
    const seen = new Set<string>();
    services.forEach((service, index) => {
        if (seen.has(service.name)) {
            ctx.addIssue({ code: "custom", path: [index, "name"], message: `the name ${service.name} is used by an earlier service; names must be unique` });
        }
        seen.add(service.name);
    });
});

/**
 * Sized for the twelve-service catalogue of Pulumi.yaml through a restart of every Deployment at
 * once (each service one surge pod more): it needs 1900m, 2688Mi, 15 cores of limits, 7680Mi of
 * limits and 24 pods; the defaults are the next round amounts above.
 */
const quotaSchema = z.strictObject({
    requestsCpu: quantity.default("2"),
    requestsMemory: quantity.default("3Gi"),
    limitsCpu: quantity.default("16"),
    limitsMemory: quantity.default("8Gi"),
    pods: positiveInt.default(24),
});

export const prSchema = z.strictObject({
    number: positiveInt,
    services: z.array(z.string()).min(1, { error: "expected at least one service name; leave pr.services out to deploy the whole catalogue" }).optional(),
    ttlHours: z.number({ error: "expected a positive number of hours" }).positive({ error: "expected a positive number of hours" }).optional(),
    // How long an update waits for a service's new pods to be ready before it fails, naming why
    // (ImagePullBackOff, CrashLoopBackOff): well under the provider's own 10 minutes.
    readyTimeout: goDuration(10, 3600).default(`${DEFAULT_PR_READY_TIMEOUT_SECONDS}s`),
    customDomain: dnsName.optional(),
    clusterIssuer: dnsSubdomain.default("letsencrypt"),
    tlsSecretName: dnsSubdomain.optional(),
    ingressClassName: dnsSubdomain.default("nginx"),
    ingressNamespace: dnsLabel.default("ingress-nginx"),
    quota: quotaSchema.default(quotaSchema.parse({})),
    containerDefaults: resourceRequirements.default({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } }),
});

const backendsSchema = z.strictObject(
    Object.fromEntries(BACKEND_KINDS.map((kind) => [kind, z.string().superRefine((url, ctx) => {
        const problem = backendUrlProblem(kind, url);
        if (problem !== undefined) {
            ctx.addIssue({ code: "custom", message: `expected a ${kind} connection URL, but ${problem}` });
        }
    }).optional()])) as Record<(typeof BACKEND_KINDS)[number], z.ZodOptional<z.ZodString>>,
);

/**
 * The IP blocks each backend's addresses are in, for PR namespaces' egress: needed for a backend
 * whose host is a name outside the cluster (its addresses are unknown here); optional otherwise.
 * Not secret: where a backend is says nothing of how to log in to it.
 */
const backendNetworksSchema = z.strictObject(
    Object.fromEntries(BACKEND_KINDS.map((kind) => [kind, z.array(cidr, { error: "expected a list of IP blocks such as [10.20.0.0/16]" })
        .min(1, { error: `expected at least one IP block; leave backendNetworks.${kind} out where the backend's URL says where it is` }).optional()])) as
        Record<(typeof BACKEND_KINDS)[number], z.ZodOptional<z.ZodArray<typeof cidr>>>,
);

const stackFields = z.strictObject({
    services: servicesSchema,
    domain: dnsName,
    imageTag: imageTag.optional(),
    images: z.record(z.string(), imageReference).default({}),
    deployedAt: rfc3339Utc.optional(),
    active: z.boolean({ error: "expected true or false" }).default(true),
    pr: prSchema.optional(),
    environment: environmentSchema.optional(),
    platform: platformSchema.optional(),
    // Connection URLs may carry credentials: secret in any shape, misspelt subkeys included.
    backends: secret(backendsSchema).default({}),
    backendNetworks: backendNetworksSchema.default({}),
    appMetrics: appMetricsSchema,
});

type StackFields = z.output<typeof stackFields>;

/** The whole config contract of ../shared/DESIGN.md, keyed without the `rollout-stacks:` namespace. */
export const stackConfigSchema = stackFields.superRefine((config, ctx) => {
    if (config.pr === undefined && config.environment === undefined && config.platform === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["pr"],
            message: "the stack deploys nothing; set pr (a PR stack), or environment and/or platform (a long-lived stack)",
        });
    }
    const catalogue = new Set(config.services.map((s) => s.name));
    const known = [...catalogue].join(", ");
    for (const name of Object.keys(config.images)) {
        if (!catalogue.has(name)) {
            ctx.addIssue({ code: "custom", path: ["images", name], message: `no service named ${name} in services; known: ${known}` });
        }
    }
    config.pr?.services?.forEach((name, index) => {
        if (!catalogue.has(name)) {
            ctx.addIssue({ code: "custom", path: ["pr", "services", index], message: `no service named ${name} in services; known: ${known}` });
        }
    });
    checkBackendNetworks(config, ctx);
    checkNotificationServices(config, ctx);
    const certManager = config.platform?.certManager;
    if (config.environment !== undefined && certManager?.enabled === true) {
        const issuers = certManager.clusterIssuers.map((issuer) => issuer.name);
        if (!issuers.includes(config.environment.clusterIssuer)) {
            ctx.addIssue({
                code: "custom",
                path: ["environment", "clusterIssuer"],
                message: `this stack's platform creates the ClusterIssuers ${issuers.join(", ") || "(none)"}, not ${config.environment.clusterIssuer}; name one of them or add it to platform.certManager.clusterIssuers`,
            });
        }
    }
    checkHosts(config, ctx);
    checkDerivedNames(config, ctx);
    if (config.pr !== undefined) {
        for (const key of ["environment", "platform"] as const) {
            if (config[key] !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `a PR stack (rollout-stacks:pr is set) cannot also set ${key}; PR stacks run on a cluster whose platform another stack manages. Remove one of them`,
                });
            }
        }
        checkQuotaFits(config.pr, config.services, ctx);
    }
    if (config.environment !== undefined) {
        for (const name of Object.keys(config.environment.replicas)) {
            if (!catalogue.has(name)) {
                ctx.addIssue({ code: "custom", path: ["environment", "replicas", name], message: `no service named ${name} in services; known: ${known}` });
            }
        }
        // A PR stack falls back to the tag pr-<n>; a long-lived environment has no tag to fall back to.
        const untagged = config.services.filter((s) => config.images[s.name] === undefined).map((s) => s.name);
        if (config.imageTag === undefined && untagged.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["imageTag"],
                message: `an environment needs imageTag, or images.<service> for every service (missing for ${untagged.join(", ")})`,
            });
        }
    }
});

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type ParsedStackConfig = z.output<typeof stackConfigSchema>;
export type PrConfig = z.output<typeof prSchema>;
export type BackendUrls = z.output<typeof backendsSchema>;

type Services = z.output<typeof servicesSchema>;

/**
 * The public host of the stack (given, or made from `domain`) and the TLS Secret cert-manager
 * writes for it: the API server refuses an Ingress whose host is longer than a DNS name may be,
 * or whose TLS Secret name (the host with dashes, `-tls`) is longer than an object name may be.
 */
function checkHosts(config: StackFields, ctx: z.RefinementCtx): void {
    const { pr, environment, domain } = config;
    if (dnsNameProblem(domain) !== undefined) {
        return;
    }
    if (pr !== undefined && positiveInt.safeParse(pr.number).success) {
        checkHost(ctx, {
            given: pr.customDomain, hostKey: "pr.customDomain", secretKey: "pr.tlsSecretName", issued: pr.tlsSecretName === undefined,
            made: prHost(pr.number, domain), what: `the PR host pr-${pr.number}.<domain>`,
        });
    }
    if (environment !== undefined && dnsLabel.safeParse(environment.name).success) {
        checkHost(ctx, {
            given: environment.host, hostKey: "environment.host", secretKey: "environment.tlsSecretName", issued: environment.tlsSecretName === undefined,
            made: environmentHost(environment.name, domain), what: `the environment's host ${environment.name}.<domain>`,
        });
    }
}

/** A long name as a message shows it: its start, enough to recognise it. */
function abbreviated(name: string): string {
    return name.length <= 48 ? name : `${name.slice(0, 45)}...`;
}

interface HostSource {
    /** The host as configured, if it is. */
    readonly given: string | undefined;
    readonly hostKey: string;
    readonly secretKey: string;
    /** Whether cert-manager issues the certificate (no existing Secret is named). */
    readonly issued: boolean;
    /** The host made from `domain` when none is given, and how a message names it. */
    readonly made: string;
    readonly what: string;
}

function checkHost(ctx: z.RefinementCtx, source: HostSource): void {
    // A given host that is no DNS name is reported at its own key.
    if (source.given !== undefined && dnsNameProblem(source.given) !== undefined) {
        return;
    }
    const host = source.given ?? source.made;
    const path = source.given === undefined ? ["domain"] : source.hostKey.split(".");
    const fix = source.given === undefined ? `shorten domain or set ${source.hostKey}` : `shorten ${source.hostKey}`;
    if (host.length > MAX_DNS_NAME) {
        ctx.addIssue({
            code: "custom",
            path,
            message: `${source.what}, ${abbreviated(host)}, would be ${host.length} characters long; a host name has at most ${MAX_DNS_NAME}: ${fix}`,
        });
        return;
    }
    const secret = tlsSecretNameFor(host);
    if (source.issued && secret.length > MAX_DNS_NAME) {
        ctx.addIssue({
            code: "custom",
            path,
            message: `cert-manager would write the certificate of the host ${abbreviated(host)} (${host.length} characters) to the Secret ` +
                `${abbreviated(secret)} (the host with dashes for dots, then -tls), ${secret.length} characters; an object name has at most ${MAX_DNS_NAME}, ` +
                `so the host may have at most ${MAX_DNS_NAME - (secret.length - host.length)}: ${fix}, or name an existing Secret in ${source.secretKey}`,
        });
    }
}

/**
 * Names the components make from a service's name: an environment's Services (`<name>-canary`,
 * `-stable`, `-preview`, `-metrics`, by lib/rolloutStrategy.ts) must be DNS labels of at most 63
 * characters and belong to one service each; a PR's MongoDB database (`pr-<n>-<name>`, by
 * lib/isolation.ts) must be under MongoDB's 64 characters.
 */
function checkDerivedNames(config: StackFields, ctx: z.RefinementCtx): void {
    const { environment, pr } = config;
    const services: Services = config.services.filter((service) => typeof service?.name === "string" && dnsLabel.safeParse(service.name).success);
    const indexOf = (service: Services[number]) => config.services.indexOf(service);
    if (environment !== undefined && isStrategy(environment.strategy)) {
        const kind = strategyKind(environment.strategy);
        const owners = new Map<string, { readonly service: string; readonly index: number; readonly role: string }>();
        for (const service of services) {
            const derived = Object.entries(rolloutServiceNames(service.name, environment.strategy))
                .filter(([role]) => role !== "kind")
                .map(([role, name]) => ({ role: SERVICE_ROLES[role] ?? role, name }));
            const longest = derived.reduce((a, b) => (b.name.length > a.name.length ? b : a));
            if (longest.name.length > MAX_DNS_LABEL) {
                ctx.addIssue({
                    code: "custom",
                    path: ["services", indexOf(service), "name"],
                    message: `the environment's ${kind} strategy gives this service the ${longest.role}, ${longest.name}, ${longest.name.length} characters; ` +
                        `a Service name has at most ${MAX_DNS_LABEL}: shorten the name to at most ${MAX_DNS_LABEL - (longest.name.length - service.name.length)} characters`,
                });
            }
            for (const { role, name } of derived) {
                const owner = owners.get(name);
                if (owner !== undefined && owner.service !== service.name) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["services", indexOf(service), "name"],
                        message: `the environment's ${kind} strategy gives this service the ${role}, ${name}, which ${owner.service} (services[${owner.index}]) ` +
                            `already owns as the ${owner.role}; two services cannot own one Service: rename one of them`,
                    });
                } else {
                    owners.set(name, { service: service.name, index: indexOf(service), role });
                }
            }
        }
    }
    if (pr !== undefined && positiveInt.safeParse(pr.number).success && config.backends.mongodb !== undefined) {
        for (const service of services.filter((s) => pr.services === undefined || pr.services.includes(s.name))) {
            const database = prIsolation(pr.number, service.name).MONGODB_DATABASE;
            if (database.length > MAX_MONGODB_DATABASE) {
                ctx.addIssue({
                    code: "custom",
                    path: ["services", indexOf(service), "name"],
                    message: `PR ${pr.number} gives this service the MongoDB database ${database}, ${database.length} characters; MongoDB takes at most ${MAX_MONGODB_DATABASE}: ` +
                        `shorten the name to at most ${MAX_MONGODB_DATABASE - (database.length - service.name.length)} characters`,
                });
            }
        }
    }
}

/**
 * Every backend's egress must resolve to a namespace or IP blocks: a host outside the cluster
 * needs `backendNetworks.<kind>`, and `backendNetworks` names only backends that are set. The
 * messages never quote the URL: it is secret.
 */
function checkBackendNetworks(config: StackFields, ctx: z.RefinementCtx): void {
    for (const kind of BACKEND_KINDS) {
        const url = config.backends[kind];
        const networks = config.backendNetworks[kind];
        if (url === undefined) {
            if (networks !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["backendNetworks", kind],
                    message: `backends.${kind} is not set, so there is no ${kind} to reach; set backends.${kind} or remove backendNetworks.${kind}`,
                });
            }
        } else if (backendUrlProblem(kind, url) === undefined && backendEndpoint(kind, url, networks) === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["backendNetworks", kind],
                message: `backends.${kind} names a host outside the cluster (not <service>.<namespace>.svc, not an IP address), whose addresses ` +
                    `the PR namespaces' egress policy cannot know; give the IP blocks it is in, e.g. pulumi config set --path 'backendNetworks.${kind}[0]' 10.20.0.0/16 ` +
                    `(0.0.0.0/0 allows every address on its port, pods of every namespace included: write it only if that is meant)`,
            });
        }
    }
}

/**
 * An environment's subscriptions name services of the platform's notifications, where one stack
 * has both (a stack whose platform is elsewhere cannot know them; the controller logs the miss).
 */
function checkNotificationServices(config: StackFields, ctx: z.RefinementCtx): void {
    const rollouts = config.platform?.argoRollouts;
    if (config.environment === undefined || rollouts === undefined || !rollouts.enabled) {
        return;
    }
    const notifications = rollouts.notifications;
    const known = notifications === undefined ? [] : [...Object.keys(notifications.webhooks), ...(notifications.slack === undefined ? [] : [SLACK_SERVICE])];
    for (const problem of unknownSubscriptionServices(config.environment, known)) {
        ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    }
}

/** MongoDB refuses database names of 64 characters or more. */
const MAX_MONGODB_DATABASE = 63;

/** How a message names each Service of lib/rolloutStrategy.ts's RolloutServiceNames. */
const SERVICE_ROLES: Readonly<Record<string, string>> = {
    root: "Service named after it", active: "active Service, named after it", stable: "stable Service", canary: "canary Service",
    preview: "preview Service", metrics: "metrics Service",
};

/** A strategy that failed to parse reaches the refinement as what was given; skip it. */
function isStrategy(strategy: unknown): strategy is DeliveryStrategy {
    return strategy !== null && typeof strategy === "object" && ("canary" in strategy || "blueGreen" in strategy);
}

/** Thousandths of a quantity as a whole number, so sums of 50m and 100m compare exactly; undefined when it is none. */
function milli(value: string): number | undefined {
    const amount = parseQuantity(value);
    return amount === undefined ? undefined : Math.round(amount * 1000);
}

/**
 * The API server would refuse pods past the quota only at rollout time, and a restart that cannot
 * create its surge pods stalls until `pulumi up` times out; say so at preview instead.
 */
function checkQuotaFits(pr: PrConfig, services: z.output<typeof servicesSchema>, ctx: z.RefinementCtx): void {
    const selected = services.filter((s) => pr.services === undefined || pr.services.includes(s.name));
    const podsOf = (s: (typeof selected)[number]) => s.replicas + surgePods(s.replicas);
    const checks = [
        { key: "requestsCpu", each: (s: (typeof selected)[number]) => s.resources.requests.cpu, unit: "m" },
        { key: "requestsMemory", each: (s: (typeof selected)[number]) => s.resources.requests.memory, unit: "Mi" },
        { key: "limitsCpu", each: (s: (typeof selected)[number]) => s.resources.limits.cpu, unit: "m" },
        { key: "limitsMemory", each: (s: (typeof selected)[number]) => s.resources.limits.memory, unit: "Mi" },
    ] as const;
    for (const { key, each, unit } of checks) {
        const amounts = selected.map((s) => milli(each(s)));
        const allowed = milli(pr.quota[key]);
        // A quantity that does not parse is reported at its own key (a service's, or the quota's), not as a misfit here.
        if (allowed === undefined || amounts.some((amount) => amount === undefined)) {
            continue;
        }
        const needed = selected.reduce((sum, s, index) => sum + amounts[index]! * podsOf(s), 0);
        if (needed > allowed) {
            const amount = unit === "m" ? `${needed}m` : `${Math.ceil(needed / 1000 / 2 ** 20)}Mi`;
            ctx.addIssue({
                code: "custom",
                path: ["pr", "quota", key],
                message: `the quota ${pr.quota[key]} is smaller than what the services need at their replica counts plus a rolling update's surge (${amount}); raise it or narrow pr.services`,
            });
        }
    }
    const pods = selected.reduce((sum, s) => sum + podsOf(s), 0);
    if (pods > pr.quota.pods) {
        ctx.addIssue({
            code: "custom",
            path: ["pr", "quota", "pods"],
            message: `the services need ${pods} pods at their replica counts plus a rolling update's surge; raise the quota or narrow pr.services`,
        });
    }
}
