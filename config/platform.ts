import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { IN_CLUSTER_SERVER, projectPermits } from "../lib/argoCd";
import { ChartSource, HelmValues } from "../lib/helmCharts";
import { movedToAppMetrics } from "./appMetrics";
import { dnsLabel, dnsSubdomain, labels } from "./primitives";
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

const argoRolloutsSchema = z.strictObject({
    ...addOnFields("argoRollouts"),
    installVia: z.enum(["helm", "argocd", "external"], { error: "expected helm, argocd or external" }).default("helm"),
    dashboard: z.boolean({ error: "expected true or false" }).default(false),
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

export type ArgoRolloutsConfig = AddOnConfig<InstallViaHelm | InstallViaArgoCd | InstallViaExternal, Pick<z.output<typeof argoRolloutsSchema>, "dashboard">>;
export type ArgoCdConfig = AddOnConfig<InstallViaHelm | InstallViaExternal, Pick<z.output<typeof argoCdSchema>, "project" | "applications" | "cascadeDelete">>;
export type MonitoringConfig = AddOnConfig<MonitoringViaHelm | InstallViaExternal,
    Pick<z.output<typeof monitoringSchema>, "canaryErrorMargin" | "resourceLabels">>;
export type CertManagerConfig = AddOnConfig<InstallViaHelm | InstallViaExternal, Pick<z.output<typeof certManagerSchema>, "clusterIssuers">>;

/** The platform as the stack deploys it: each add-on's install mode carries what that mode needs, and nothing else. */
export interface PlatformConfig {
    readonly argoRollouts: ArgoRolloutsConfig;
    readonly argoCd: ArgoCdConfig;
    readonly monitoring: MonitoringConfig;
    readonly certManager: CertManagerConfig;
}

const platformFields = z.strictObject({
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
}).transform((platform, ctx) => platformConfig(platform, reportTo(ctx)) ?? z.NEVER);

/** Each add-on in the shape of its install mode; undefined, with the problems reported, when a mode lacks what it needs. */
function platformConfig(platform: PlatformFields, report: Report): PlatformConfig | undefined {
    const { argoRollouts: rollouts, argoCd: cd, monitoring: grafana, certManager: certs } = platform;
    const argoRollouts = addOn(rollouts, { dashboard: rollouts.dashboard }, () => rolloutsInstall(rollouts, report));
    const argoCd = addOn(cd, { project: cd.project, applications: cd.applications, cascadeDelete: cd.cascadeDelete }, () => helmOrExternal(cd));
    const monitoring = addOn(grafana, { canaryErrorMargin: grafana.canaryErrorMargin, resourceLabels: grafana.resourceLabels },
        () => monitoringInstall(grafana, report));
    const certManager = addOn(certs, { clusterIssuers: certs.clusterIssuers }, () => helmOrExternal(certs));
    return argoRollouts === undefined || argoCd === undefined || monitoring === undefined || certManager === undefined
        ? undefined
        : { argoRollouts, argoCd, monitoring, certManager };
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
