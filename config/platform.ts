import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ANY_ADDRESS } from "../lib/cidr";
import { IN_CLUSTER_SERVER, projectPermits } from "../lib/argoCd";
import { ChartSource, HelmValues } from "../lib/helmCharts";
import { cidrProblem } from "../lib/cidr";
import { movedToAppMetrics } from "./appMetrics";
import { SLACK_SERVICE } from "../lib/notifications";
import { notificationServiceName } from "./environment";
import { cidr, dnsLabel, dnsSubdomain, labels, port } from "./primitives";
import { secret } from "./secrets";

/**
 * `platform`: the cluster add-ons under the environments. Each add-on can be turned off, pins its
 * chart version, and takes its chart from a repository or from a path on this machine.
 */

/** The charts each add-on installs unless config says otherwise, looked up when they were last pinned. */
export const PLATFORM_CHART_DEFAULTS = {
    argoRollouts: { namespace: "argo-rollouts", repo: "https://argoproj.github.io/argo-helm", name: "argo-rollouts", version: "2.43.1" },
    argoCd: { namespace: "argocd", repo: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "10.9.0" },
    monitoring: { namespace: "monitoring", repo: "https://prometheus-community.github.io/helm-charts", name: "kube-prometheus-stack", version: "88.2.0" },
    certManager: { namespace: "cert-manager", repo: "https://charts.jetstack.io", name: "cert-manager", version: "v1.21.2" },
} as const;

type AddOn = keyof typeof PLATFORM_CHART_DEFAULTS;

const chartVersion = z.string().regex(/^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, {
    error: "expected an exact chart version such as 2.43.1; a range or 'latest' would change the cluster without a config change",
});

const chartRepository = z.string().regex(/^(?:https?|oci):\/\/[^\s/]+(?:\/\S*)?$/, {
    error: "expected a chart repository URL (https://... with an index.yaml, or oci://registry/path)",
});

const chartName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a chart name: lowercase letters, digits and '-'" });

/** `{ repo, name? }` or `{ path }`: exactly one of repo and path. */
function chartSourceSchema(addOn: AddOn) {
    const defaults = PLATFORM_CHART_DEFAULTS[addOn];
    return z.strictObject({
        repo: chartRepository.optional(),
        name: chartName.optional(),
        path: z.string().min(1, { error: "expected a chart directory or .tgz path" }).optional(),
    }).superRefine((chart, ctx) => {
        if ((chart.repo === undefined) === (chart.path === undefined)) {
            ctx.addIssue({
                code: "custom",
                message: "set exactly one of chart.repo (a chart repository URL) and chart.path (a chart directory or .tgz on this machine)",
            });
        }
        if (chart.path !== undefined && chart.name !== undefined) {
            ctx.addIssue({ code: "custom", path: ["name"], message: "a local chart names itself; chart.name only goes with chart.repo" });
        }
    }).transform((chart): ChartSource => (chart.path === undefined
        ? { repo: chart.repo ?? defaults.repo, name: chart.name ?? defaults.name }
        : { path: chart.path }))
        .default({ repo: defaults.repo, name: defaults.name });
}

/** What every add-on has: on/off, namespace, chart source and pinned version, and values laid over ours. */
function addOnFields(addOn: AddOn) {
    const defaults = PLATFORM_CHART_DEFAULTS[addOn];
    return {
        enabled: z.boolean({ error: "expected true or false" }).default(true),
        namespace: dnsLabel.default(defaults.namespace),
        version: chartVersion.default(defaults.version),
        chart: chartSourceSchema(addOn),
        values: z.record(z.string(), z.unknown(), { error: "expected a map of Helm values" }).default({}),
    };
}

/** `external`: the add-on is installed outside this stack; the stack still manages its custom resources. */
const installVia = z.enum(["helm", "external"], { error: "expected helm or external" }).default("helm");

/** Addresses outside the cluster: nothing unless listed; "anywhere" is 0.0.0.0/0 and ::/0, written out. */
const cidrs = z.array(cidr, { error: "expected a list of IP blocks such as [10.20.0.0/16]" });

const ingressController = z.boolean({ error: "expected true or false" }).default(false);

/**
 * `<addOn>.networkPolicies.enabled`: on unless false when the stack installs the add-on, off unless
 * true otherwise (a namespace installed elsewhere can still be locked down).
 */
const policiesSwitch = z.boolean({ error: "expected true or false" }).optional();

/** `platform.networkPolicies`: what every add-on's policies share (docs/platform.md, "Network policies"). */
const sharedNetworkPoliciesSchema = z.strictObject({
    apiServer: z.union([z.literal("discover"), z.array(z.string())], { error: `expected discover, or a list of CIDRs such as ["10.0.0.1/32"]` })
        .superRefine((value, ctx) => {
            if (value === "discover") {
                return;
            }
            if (value.length === 0) {
                ctx.addIssue({ code: "custom", message: "expected at least one CIDR; leave apiServer out to read the API server's addresses from the cluster" });
            }
            value.forEach((item, index) => {
                const problem = cidrProblem(item);
                if (problem !== undefined) {
                    ctx.addIssue({ code: "custom", path: [index], message: problem });
                }
            });
        })
        .default("discover"),
    apiServerPorts: z.array(port).min(1, { error: "expected at least one port" }).optional(),
    webhookSources: cidrs.min(1, { error: "expected at least one CIDR; leave webhookSources out to accept webhook calls from the API server's addresses" }).optional(),
    ingressNamespace: dnsLabel.default("ingress-nginx"),
}).superRefine((shared, ctx) => {
    if (shared.apiServer === "discover" && shared.apiServerPorts !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["apiServerPorts"],
            message: "the API server's ports are read from the cluster with its addresses; give apiServerPorts only with a list of apiServer CIDRs",
        });
    }
});

/** Loopback hosts: the one place a plain-http notification URL is allowed (a receiver beside a local controller, in tests). */
function isLoopbackHost(hostname: string): boolean {
    return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A URL notifications are sent to: https, or http on the loopback address. The message never quotes it (it is secret). */
const notificationUrl = (example: string) => z.string({ error: `expected an https:// URL such as ${example}` }).superRefine((value, ctx) => {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        ctx.addIssue({ code: "custom", message: `expected an https:// URL such as ${example}` });
        return;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
        ctx.addIssue({
            code: "custom",
            message: `expected an https:// URL (the payload names services, images and failures; plain http is allowed only to 127.0.0.1 or localhost), got a ${url.protocol.slice(0, -1)} URL`,
        });
    }
});

/** An HTTP header name (RFC 9110 token). */
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const webhookSchema = z.strictObject({
    /** Where the JSON is POSTed; secret (such URLs often carry a token). */
    url: secret(notificationUrl("https://hooks.example.com/releases")).transform((url): pulumi.Input<string> => url),
    /** Headers sent with every request, e.g. Authorization; their values are secret. */
    headers: secret(z.record(z.string(), z.string({ error: "expected a header value (a string)" })))
        .superRefine((headers, ctx) => {
            for (const name of Object.keys(headers)) {
                if (!headerName.test(name)) {
                    ctx.addIssue({ code: "custom", path: [name], message: "expected an HTTP header name such as Authorization or X-Api-Key" });
                }
            }
        })
        .transform((headers): Readonly<Record<string, pulumi.Input<string>>> => headers)
        .default({}),
});

const slackSchema = z.strictObject({
    /** A bot token (xoxb-...), secret. */
    token: secret(z.string({ error: "expected a Slack bot token such as xoxb-..." }).min(1, { error: "expected a Slack bot token such as xoxb-..." }))
        .transform((token): pulumi.Input<string> => token),
    /** A Slack-compatible API's base URL; Slack's own unless given. */
    apiUrl: notificationUrl("https://slack.com/api/").optional(),
    /** The name messages are posted as. */
    username: z.string().min(1).optional(),
});

/**
 * `argoRollouts.notifications`: the services Argo Rollouts' notification engine may send to
 * (docs/progressive-delivery.md, "Notifications"). Environments subscribe to them by name.
 */
const notificationsSchema = z.strictObject({
    webhooks: z.record(z.string(), webhookSchema, { error: "expected a map of webhook name to { url, headers }" })
        .superRefine((webhooks, ctx) => {
            for (const name of Object.keys(webhooks)) {
                const problem = !notificationServiceName.safeParse(name).success
                    ? "expected a webhook name: lowercase letters, digits and '-', at most 63 characters"
                    : name === SLACK_SERVICE ? `${SLACK_SERVICE} names the Slack service; call the webhook something else` : undefined;
                if (problem !== undefined) {
                    ctx.addIssue({ code: "custom", path: [name], message: problem });
                }
            }
        })
        .default({}),
    slack: slackSchema.optional(),
});

/** The notification services as the stack creates them; URLs, header values and the token are Pulumi secrets once loaded. */
export type NotificationsConfig = z.output<typeof notificationsSchema>;

const argoRolloutsSchema = z.strictObject({
    ...addOnFields("argoRollouts"),
    installVia: z.enum(["helm", "argocd", "external"], { error: "expected helm, argocd or external" }).default("helm"),
    dashboard: z.boolean({ error: "expected true or false" }).default(false),
    /** `notificationServers`: the addresses the notifications go to (webhooks, Slack's API), on any port. */
    networkPolicies: z.strictObject({ enabled: policiesSwitch, ingressController, notificationServers: cidrs.default([]) }).prefault({}),
    /** Unset: the stack writes no notification ConfigMap or Secret, and leaves whatever is there alone. */
    notifications: notificationsSchema.optional(),
});

const gitRepository = z.string().regex(/^(?:(?:https?|ssh|oci):\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/, {
    error: "expected a repository URL such as https://github.com/acme/deploy.git or git@github.com:acme/deploy.git",
});

const repoPath = z.string().min(1).refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    error: "expected a path inside the repository, such as apps/shop or . for its root",
});

const serverUrl = z.string().regex(/^https:\/\/\S+$/, { error: "expected the API server's https:// URL" });

const applicationSchema = z.strictObject({
    name: dnsLabel,
    repoURL: gitRepository,
    path: repoPath,
    targetRevision: z.string().min(1, { error: "expected a branch, tag or commit" }).default("HEAD"),
    namespace: dnsLabel,
    server: serverUrl.default(IN_CLUSTER_SERVER),
    /** Rollouts of the application are scaled by an autoscaler, so ArgoCD leaves `/spec/replicas` alone. */
    autoscaled: z.boolean({ error: "expected true or false" }).default(false),
    /** Cluster-scoped kinds the application deploys besides its namespace, which its project then permits. */
    clusterResources: z.array(z.strictObject({ group: z.string(), kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: "expected a Kind such as ClusterRole" }) }))
        .default([]),
});

/** ArgoCD's project patterns: `*` matches anything, a leading `!` denies. */
const projectPattern = z.string().min(1);

const projectSchema = z.strictObject({
    name: dnsLabel.default("rollout-stacks"),
    description: z.string().default("Applications of the rollout-stacks platform"),
    sourceRepos: z.array(projectPattern).min(1, { error: "expected at least one repository pattern; leave it out to allow just the applications' repositories" }).optional(),
    destinations: z.array(z.strictObject({ server: z.string().min(1).default(IN_CLUSTER_SERVER), namespace: projectPattern }))
        .min(1, { error: "expected at least one destination; leave it out to allow just the applications' namespaces" }).optional(),
});

const argoCdSchema = z.strictObject({
    ...addOnFields("argoCd"),
    installVia,
    project: projectSchema.prefault({}),
    applications: z.array(applicationSchema).default([]),
    /** Deleting an Application deletes what it deployed; false leaves its workloads running, unmanaged. */
    cascadeDelete: z.boolean({ error: "expected true or false" }).default(true),
    /** `repositories`: where the repo-server may fetch git (443, 22) and charts from. */
    networkPolicies: z.strictObject({ enabled: policiesSwitch, ingressController, repositories: cidrs.default([]) }).prefault({}),
});

const monitoringSchema = z.strictObject({
    ...addOnFields("monitoring"),
    installVia,
    /**
     * Read as plain config text, made a Pulumi secret by the config loader before anything uses it.
     * The type says Input because from then on it is an Output.
     */
    grafanaAdminPassword: secret(z.string().min(12, { error: "expected at least 12 characters" }))
        .transform((password): pulumi.Input<string> => password).optional(),
    appMetrics: movedToAppMetrics(),
    /** How far the canary's error ratio may exceed the stable's before the alert fires (0.01 = one point). */
    canaryErrorMargin: z.number({ error: "expected a number between 0 and 1" }).min(0).max(1).default(0.01),
    /** Labels on the platform's ServiceMonitors and rules, for a Prometheus that selects by label; kube-prometheus-stack's release label unless given. */
    resourceLabels: labels.optional(),
    /** `scrapePorts`: pod ports Prometheus scrapes in other namespaces besides the platform's; `nodes`: the nodes' CIDRs. */
    networkPolicies: z.strictObject({
        enabled: policiesSwitch,
        ingressController,
        scrapePorts: z.array(port).default([]),
        nodes: cidrs.default([]),
    }).prefault({}),
});

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: "expected the e-mail address the ACME account is registered to" });

const acmeSchema = z.strictObject({
    email,
    /** Let's Encrypt production unless given. */
    server: z.string().regex(/^https:\/\/\S+$/, { error: "expected the ACME directory's https:// URL" }).optional(),
    /** nginx unless given. */
    ingressClassName: dnsSubdomain.optional(),
});

/** A ClusterIssuer: self-signed (clusters without a public DNS name) or ACME with HTTP-01. */
export type ClusterIssuerConfig =
    | { readonly name: string; readonly selfSigned: true }
    | { readonly name: string; readonly acme: z.output<typeof acmeSchema> };

const clusterIssuerSchema = z.strictObject({
    name: dnsSubdomain,
    selfSigned: z.strictObject({}).optional(),
    acme: acmeSchema.optional(),
}).superRefine((issuer, ctx) => {
    if ((issuer.selfSigned === undefined) === (issuer.acme === undefined)) {
        ctx.addIssue({ code: "custom", message: "set exactly one of selfSigned: {} and acme: { email, server, ingressClassName }" });
    }
}).transform((issuer): ClusterIssuerConfig => (issuer.acme === undefined
    ? { name: issuer.name, selfSigned: true }
    : { name: issuer.name, acme: issuer.acme }));

const certManagerSchema = z.strictObject({
    ...addOnFields("certManager"),
    installVia,
    clusterIssuers: z.array(clusterIssuerSchema).default([{ name: "selfsigned", selfSigned: true }]),
    /** `acmeServers`: the ACME directories' addresses (HTTPS) and the addresses HTTP-01 self-checks reach (HTTP). */
    networkPolicies: z.strictObject({ enabled: policiesSwitch, acmeServers: cidrs.default([]) }).prefault({}),
});

/** The Application name under which ArgoCD owns the rollouts controller when `installVia` is argocd. */
export const ROLLOUTS_APPLICATION = "argo-rollouts";

/** A chart ArgoCD can fetch itself: from a repository, never from a path on this machine. */
export type RepositoryChart = Extract<ChartSource, { readonly repo: string }>;

/** Pulumi installs the add-on's chart with Helm, at its pinned version, with the values laid over ours. */
export interface InstallViaHelm {
    readonly installVia: "helm";
    readonly chart: ChartSource;
    readonly version: string;
    readonly values: HelmValues;
}

/** ArgoCD installs the add-on from its chart repository; Pulumi owns only the Application. */
export interface InstallViaArgoCd {
    readonly installVia: "argocd";
    readonly chart: RepositoryChart;
    readonly version: string;
    readonly values: HelmValues;
}

/** The add-on is installed outside this stack; the stack still manages its custom resources. */
export interface InstallViaExternal {
    readonly installVia: "external";
}

/** Installing Grafana takes its admin password. */
export interface MonitoringViaHelm extends InstallViaHelm {
    readonly grafanaAdminPassword: pulumi.Input<string>;
}

/** An add-on as the stack deploys it: off, or on in its namespace, installed one way, with what else it takes. */
export type AddOnConfig<Install, Rest> = { readonly enabled: false } | ({ readonly enabled: true; readonly namespace: string } & Rest & Install);

/** An add-on's network policy settings once on, without the switch; absent when its policies are off. */
type PoliciesOf<Schema extends { readonly shape: { readonly networkPolicies: z.ZodType } }> =
    { readonly networkPolicies?: Omit<z.output<Schema["shape"]["networkPolicies"]>, "enabled"> };

export type ArgoRolloutsConfig = AddOnConfig<InstallViaHelm | InstallViaArgoCd | InstallViaExternal,
    Pick<z.output<typeof argoRolloutsSchema>, "dashboard" | "notifications"> & PoliciesOf<typeof argoRolloutsSchema>>;
export type ArgoCdConfig = AddOnConfig<InstallViaHelm | InstallViaExternal,
    Pick<z.output<typeof argoCdSchema>, "project" | "applications" | "cascadeDelete"> & PoliciesOf<typeof argoCdSchema>>;
export type MonitoringConfig = AddOnConfig<MonitoringViaHelm | InstallViaExternal,
    Pick<z.output<typeof monitoringSchema>, "canaryErrorMargin" | "resourceLabels"> & PoliciesOf<typeof monitoringSchema>>;
export type CertManagerConfig = AddOnConfig<InstallViaHelm | InstallViaExternal,
    Pick<z.output<typeof certManagerSchema>, "clusterIssuers"> & PoliciesOf<typeof certManagerSchema>>;

/** The API server's addresses: read from the cluster's `default/kubernetes` EndpointSlice, or as configured. */
export type ApiServerSetting = { readonly discover: true } | { readonly cidrs: readonly string[]; readonly ports: readonly number[] };

/** Ports the API server listens on when only its CIDRs are configured: managed control planes' 443 and kubeadm's 6443. */
export const DEFAULT_API_SERVER_PORTS = [443, 6443] as const;

/** What the add-ons' network policies share. */
export interface PlatformNetworkPolicies {
    readonly apiServer: ApiServerSetting;
    /** Where admission webhook calls come from; the API server's addresses unless given. */
    readonly webhookSources?: readonly string[];
    /** The ingress controller's namespace, let in where an add-on's UI is exposed. */
    readonly ingressNamespace: string;
}

/** The platform as the stack deploys it: each add-on's install mode carries what that mode needs, and nothing else. */
export interface PlatformConfig {
    readonly argoRollouts: ArgoRolloutsConfig;
    readonly argoCd: ArgoCdConfig;
    readonly monitoring: MonitoringConfig;
    readonly certManager: CertManagerConfig;
    readonly networkPolicies: PlatformNetworkPolicies;
}

const platformFields = z.strictObject({
    networkPolicies: sharedNetworkPoliciesSchema.prefault({}),
    argoRollouts: argoRolloutsSchema.prefault({}),
    argoCd: argoCdSchema.prefault({}),
    monitoring: monitoringSchema.prefault({}),
    certManager: certManagerSchema.prefault({}),
});

type PlatformFields = z.output<typeof platformFields>;

/** A problem with a platform, at its path below `platform`. */
type Report = (issue: { readonly path: readonly (string | number)[]; readonly message: string }) => void;

function reportTo(ctx: z.RefinementCtx): Report {
    return (issue) => ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
}

// The checks run in a refinement, so their problems are listed with every other one; the transform
// then builds the parsed type with the same functions, which the refinement has made sure succeed.
export const platformSchema = platformFields.superRefine((platform, ctx) => {
    const { argoRollouts, argoCd, certManager } = platform;
    if (argoRollouts.enabled && argoRollouts.installVia === "argocd" && !argoCd.enabled) {
        ctx.addIssue({
            code: "custom",
            path: ["argoRollouts", "installVia"],
            message: "argocd needs ArgoCD; set argoCd.enabled to true, or install the controller with helm",
        });
    }
    platformConfig(platform, reportTo(ctx));
    checkApplications(argoCd, argoRollouts.enabled && argoRollouts.installVia === "argocd", ctx);
    checkOwnership(platform, ctx);
    checkUnique(certManager.clusterIssuers.map((issuer) => issuer.name), ["certManager", "clusterIssuers"], "ClusterIssuer", ctx);
    checkNetworkPolicies(platform, ctx);
    checkNotifications(platform, ctx);
}).transform((platform, ctx) => platformConfig(platform, reportTo(ctx)) ?? z.NEVER);

/** Each add-on in the shape of its install mode; undefined, with the problems reported, when a mode lacks what it needs. */
function platformConfig(platform: PlatformFields, report: Report): PlatformConfig | undefined {
    const { argoRollouts: rollouts, argoCd: cd, monitoring: grafana, certManager: certs } = platform;
    const argoRollouts = addOn(rollouts, { dashboard: rollouts.dashboard, notifications: rollouts.notifications, ...policies(rollouts) },
        () => rolloutsInstall(rollouts, report));
    const argoCd = addOn(cd, { project: cd.project, applications: cd.applications, cascadeDelete: cd.cascadeDelete, ...policies(cd) },
        () => helmOrExternal(cd));
    const monitoring = addOn(grafana, { canaryErrorMargin: grafana.canaryErrorMargin, resourceLabels: grafana.resourceLabels, ...policies(grafana) },
        () => monitoringInstall(grafana, report));
    const certManager = addOn(certs, { clusterIssuers: certs.clusterIssuers, ...policies(certs) }, () => helmOrExternal(certs));
    return argoRollouts === undefined || argoCd === undefined || monitoring === undefined || certManager === undefined
        ? undefined
        : { argoRollouts, argoCd, monitoring, certManager, networkPolicies: sharedPolicies(platform.networkPolicies) };
}

/** The add-on's policy settings when its policies are on: by default where this stack installs it with Helm. */
function policies<Settings extends { readonly enabled?: boolean | undefined }>(
    fields: { readonly installVia: string; readonly networkPolicies: Settings },
): { readonly networkPolicies?: Omit<Settings, "enabled"> } {
    const { enabled, ...settings } = fields.networkPolicies;
    return enabled ?? fields.installVia === "helm" ? { networkPolicies: settings } : {};
}

function sharedPolicies(shared: PlatformFields["networkPolicies"]): PlatformNetworkPolicies {
    const apiServer: ApiServerSetting = shared.apiServer === "discover"
        ? { discover: true }
        : { cidrs: shared.apiServer, ports: shared.apiServerPorts ?? DEFAULT_API_SERVER_PORTS };
    return {
        apiServer,
        ingressNamespace: shared.ingressNamespace,
        ...(shared.webhookSources === undefined ? {} : { webhookSources: shared.webhookSources }),
    };
}

/** Notification services of a controller that is off would never be read. */
function checkNotifications(platform: PlatformFields, ctx: z.RefinementCtx): void {
    if (!platform.argoRollouts.enabled && platform.argoRollouts.notifications !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["argoRollouts", "notifications"],
            message: "argoRollouts is off (argoRollouts.enabled: false), so no controller of this stack reads its notifications; turn it on (installVia: external for a controller installed elsewhere) or remove notifications",
        });
    }
}

/** Policies asked for on an add-on that is off would have no namespace to go into. */
function checkNetworkPolicies(platform: PlatformFields, ctx: z.RefinementCtx): void {
    for (const addOn of ["argoRollouts", "argoCd", "monitoring", "certManager"] as const) {
        const config = platform[addOn];
        if (!config.enabled && config.networkPolicies.enabled === true) {
            ctx.addIssue({
                code: "custom",
                path: [addOn, "networkPolicies", "enabled"],
                message: `${addOn} is off (${addOn}.enabled: false), so it has no namespace to protect; turn the add-on on or leave networkPolicies out`,
            });
        }
    }
    // What the policies would cut off, where the config says the add-on needs it.
    const anywhere = JSON.stringify(ANY_ADDRESS);
    const { certManager, argoRollouts } = platform;
    const acmeIssuers = certManager.clusterIssuers.flatMap((issuer, index) => ("acme" in issuer ? [`clusterIssuers[${index}]`] : []));
    if (certManager.enabled && policies(certManager).networkPolicies?.acmeServers.length === 0 && acmeIssuers.length > 0) {
        ctx.addIssue({
            code: "custom",
            path: ["certManager", "networkPolicies", "acmeServers"],
            message: `the network policies would keep the ACME issuer${acmeIssuers.length === 1 ? "" : "s"} ${acmeIssuers.join(", ")} from the ACME server; list the ACME server's CIDRs and the ` +
                `addresses your hosts resolve to (the HTTP-01 self-check), or ${anywhere} for anywhere (ports 443 and 80 only)`,
        });
    }
    if (argoRollouts.enabled && argoRollouts.notifications !== undefined && policies(argoRollouts).networkPolicies?.notificationServers.length === 0) {
        ctx.addIssue({
            code: "custom",
            path: ["argoRollouts", "networkPolicies", "notificationServers"],
            message: "the network policies would keep the rollouts controller from its notification services; list the CIDRs the webhooks and " +
                `Slack's API are in, or ${anywhere} for anywhere`,
        });
    }
}

/** What every add-on's config has once parsed, whatever its mode (see {@link addOnFields}). */
interface AddOnFields {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly chart: ChartSource;
    readonly version: string;
    readonly values: HelmValues;
}

/** Off, or on in its namespace with `rest` and what `install` gives (nothing when the mode lacks something). */
function addOn<Install, Rest>(fields: AddOnFields, rest: Rest, install: () => Install | undefined): AddOnConfig<Install, Rest> | undefined {
    if (!fields.enabled) {
        return { enabled: false };
    }
    const mode = install();
    return mode === undefined ? undefined : { enabled: true as const, namespace: fields.namespace, ...rest, ...mode };
}

function helmOrExternal(fields: AddOnFields & { readonly installVia: "helm" | "external" }): InstallViaHelm | InstallViaExternal {
    return fields.installVia === "helm"
        ? { installVia: "helm", chart: fields.chart, version: fields.version, values: fields.values }
        : { installVia: "external" };
}

function rolloutsInstall(rollouts: PlatformFields["argoRollouts"], report: Report): InstallViaHelm | InstallViaArgoCd | InstallViaExternal | undefined {
    const { installVia, chart } = rollouts;
    if (installVia !== "argocd") {
        return helmOrExternal({ ...rollouts, installVia });
    }
    if ("path" in chart) {
        report({
            path: ["argoRollouts", "chart", "path"],
            message: "ArgoCD fetches the chart itself and cannot read a path on this machine; give chart.repo, or install the controller with helm",
        });
        return undefined;
    }
    return { installVia, chart, version: rollouts.version, values: rollouts.values };
}

function monitoringInstall(monitoring: PlatformFields["monitoring"], report: Report): MonitoringViaHelm | InstallViaExternal | undefined {
    const install = helmOrExternal(monitoring);
    if (install.installVia === "external") {
        return install;
    }
    if (monitoring.grafanaAdminPassword === undefined) {
        report({
            path: ["monitoring", "grafanaAdminPassword"],
            message: "Grafana needs an admin password; set one as a secret with: " +
                "pulumi config set --secret --path platform.monitoring.grafanaAdminPassword '<password>'",
        });
        return undefined;
    }
    return { ...install, grafanaAdminPassword: monitoring.grafanaAdminPassword };
}

/**
 * ArgoCD refuses to sync an application whose repository or destination its project does not
 * permit, and two applications of one name would be one object; say so at preview instead.
 */
function checkApplications(argoCd: z.output<typeof argoCdSchema>, rolloutsViaArgoCd: boolean, ctx: z.RefinementCtx): void {
    const names = argoCd.applications.map((app) => app.name);
    checkUnique(names, ["argoCd", "applications"], "application", ctx);
    if (rolloutsViaArgoCd) {
        const index = names.indexOf(ROLLOUTS_APPLICATION);
        if (index >= 0) {
            ctx.addIssue({
                code: "custom",
                path: ["argoCd", "applications", index, "name"],
                message: `${ROLLOUTS_APPLICATION} is the application that installs the rollouts controller (argoRollouts.installVia is argocd); pick another name`,
            });
        }
    }
    const { sourceRepos, destinations } = argoCd.project;
    argoCd.applications.forEach((app, index) => {
        if (sourceRepos !== undefined && !projectPermits(sourceRepos, app.repoURL)) {
            ctx.addIssue({
                code: "custom",
                path: ["argoCd", "applications", index, "repoURL"],
                message: `project ${argoCd.project.name} does not permit this repository (sourceRepos: ${sourceRepos.join(", ")}); add it to argoCd.project.sourceRepos`,
            });
        }
        if (destinations !== undefined && !destinations.some((d) => projectPermits([d.server], app.server) && projectPermits([d.namespace], app.namespace))) {
            ctx.addIssue({
                code: "custom",
                path: ["argoCd", "applications", index, "namespace"],
                message: `project ${argoCd.project.name} does not permit namespace ${app.namespace} on ${app.server}; add it to argoCd.project.destinations`,
            });
        }
    });
}

/**
 * Pulumi and ArgoCD must never both own an object. An application deploying into a namespace whose
 * objects Pulumi installs from a chart could create or prune those very objects, so that is refused.
 */
function checkOwnership(platform: PlatformFields, ctx: z.RefinementCtx): void {
    const pulumiOwned = new Map<string, string>();
    for (const addOn of ["argoRollouts", "monitoring", "certManager", "argoCd"] as const) {
        const config = platform[addOn];
        if (config.enabled && config.installVia === "helm") {
            pulumiOwned.set(config.namespace, `platform.${addOn}`);
        }
    }
    platform.argoCd.applications.forEach((app, index) => {
        const owner = pulumiOwned.get(app.namespace);
        if (owner !== undefined && app.server === IN_CLUSTER_SERVER) {
            ctx.addIssue({
                code: "custom",
                path: ["argoCd", "applications", index, "namespace"],
                message: `Pulumi installs ${owner} into namespace ${app.namespace}; an ArgoCD application there could take over or prune its objects. Deploy it to another namespace`,
            });
        }
    });
}

function checkUnique(names: readonly string[], path: readonly (string | number)[], what: string, ctx: z.RefinementCtx): void {
    names.forEach((name, index) => {
        if (names.indexOf(name) !== index) {
            ctx.addIssue({ code: "custom", path: [...path, index, "name"], message: `the ${what} name ${name} is used by an earlier ${what}; names must be unique` });
        }
    });
}
