import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IAppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IN_CLUSTER_SERVER } from "../lib/argoCd";
import { chartReference, ChartSource, HelmValues, mergeValues } from "../lib/helmCharts";
import { NamedNetworkPolicy } from "../lib/platformNetworkPolicies";
import { podSecurityLabels } from "../lib/podSecurity";
import { addOnNetworkPolicies } from "./platformNetworkPolicies";

export type ApplicationSpec = IApplication["spec"];
export type AppProjectSpec = IAppProject["spec"];

/** A cluster-scoped kind an application may deploy. */
export interface ClusterResource {
    readonly group: string;
    readonly kind: string;
}

/** What ArgoCD syncs: a path in a Git repository, or a Helm chart from a chart repository. */
export type ApplicationSource =
    | { readonly repoURL: string; readonly targetRevision: string; readonly path: string }
    | {
        readonly repoURL: string;
        /** The chart's exact version. */
        readonly targetRevision: string;
        readonly chart: string;
        /** Helm release name. @default the Application's name */
        readonly releaseName?: string;
        /** Helm values. @default the chart's own */
        readonly values?: HelmValues;
    };

export interface ArgoCdApplication {
    /** The Application's name, a DNS label. */
    readonly name: string;
    readonly source: ApplicationSource;
    readonly destination: {
        /** API server of the target cluster. @default the cluster ArgoCD runs in */
        readonly server?: string;
        readonly namespace: string;
    };
    /** Rollouts of the application are scaled by an autoscaler: ArgoCD leaves `/spec/replicas` alone. @default false */
    readonly autoscaled?: boolean;
    /** Cluster-scoped kinds it deploys besides its namespace; the project permits them. @default none */
    readonly clusterResources?: readonly ClusterResource[];
    /** `pulumi up` waits until ArgoCD reports the Application Healthy. @default false */
    readonly waitUntilHealthy?: boolean;
}

export interface AppProjectArgs {
    /** The AppProject's name, a DNS label. */
    readonly name: string;
    /** Shown in ArgoCD's UI. @default no description */
    readonly description?: string;
    /** Repository patterns the project permits. @default exactly the applications' repositories */
    readonly sourceRepos?: readonly string[];
    /** Destinations the project permits. @default exactly the applications' namespaces */
    readonly destinations?: readonly { readonly server: string; readonly namespace: string }[];
}

export interface ArgoCdInstall {
    readonly chart: ChartSource;
    /** Exact chart version (a local chart carries its own). */
    readonly version: string;
    /** Helm values laid over the component's own. @default none */
    readonly values?: HelmValues;
}

export interface ArgoCdArgs {
    /** Namespace ArgoCD runs in; Applications and AppProjects live there too. */
    readonly namespace: string;
    /** Install ArgoCD with its chart here. @default not installed: ArgoCD runs already */
    readonly install?: ArgoCdInstall;
    readonly project: AppProjectArgs;
    /** Applications of the project. @default none: the project alone */
    readonly applications?: readonly ArgoCdApplication[];
    /**
     * Deleting an Application deletes what it deployed (ArgoCD's resources finalizer). Without it the
     * workloads are left running, unmanaged. @default true
     */
    readonly cascadeDelete?: boolean;
    /** The namespace's NetworkPolicies (lib/platformNetworkPolicies.ts). @default none */
    readonly networkPolicies?: readonly NamedNetworkPolicy[];
}

/**
 * ArgoCD (the argo-cd chart, optional), one AppProject and its Applications. Ownership: Pulumi owns
 * the AppProject and the Application objects; ArgoCD owns everything the Applications deploy. The
 * platform never installs something through both (see argoRolloutsApplication).
 */
export class ArgoCd extends pulumi.ComponentResource {
    public readonly chart?: k8s.helm.v4.Chart;
    public readonly project: k8s.apiextensions.CustomResource;
    public readonly applications: Readonly<Record<string, k8s.apiextensions.CustomResource>>;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:ArgoCd", name, {}, opts);
        const applications = args.applications ?? [];
        const seen = new Set<string>();
        for (const app of applications) {
            if (seen.has(app.name)) {
                throw new pulumi.ResourceError(`applications has two entries named ${app.name}; they would be one Application object. Rename one`, this);
            }
            seen.add(app.name);
        }

        let namespace: k8s.core.v1.Namespace | undefined;
        if (args.install !== undefined) {
            namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: args.namespace, labels: podSecurityLabels("baseline") },
            }, { parent: this });
            this.chart = new k8s.helm.v4.Chart(`${name}-chart`, {
                ...chartReference(args.install.chart, args.install.version),
                name: "argo-cd",
                namespace: namespace.metadata.name,
                // CRDs kept on uninstall: deleting the Application CRD would delete every Application.
                values: mergeValues({ crds: { install: true, keep: true } }, args.install.values ?? {}),
            }, { parent: this, dependsOn: [namespace] });
        }
        const crdsReady = this.chart === undefined ? [] : [this.chart];
        addOnNetworkPolicies(this, name, { name: args.namespace, owned: namespace }, args.networkPolicies);

        this.project = new k8s.apiextensions.CustomResource(`${name}-project`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: { name: args.project.name, namespace: args.namespace },
            spec: appProjectSpec(args.project, applications),
        }, { parent: this, dependsOn: crdsReady });

        // Only non-empty: the API server drops an empty finalizers list or annotations map, and
        // sending one anyway makes every preview show it being added again.
        const cascade = args.cascadeDelete ?? true ? { finalizers: ["resources-finalizer.argocd.argoproj.io"] } : {};
        this.applications = Object.fromEntries(applications.map((app) => [app.name, new k8s.apiextensions.CustomResource(`${name}-${app.name}`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: {
                name: app.name,
                namespace: args.namespace,
                ...cascade,
                ...(app.waitUntilHealthy ? { annotations: { "pulumi.com/waitFor": "jsonpath={.status.health.status}=Healthy" } } : {}),
            },
            spec: applicationSpec(app, args.project.name),
        }, { parent: this, dependsOn: [...crdsReady, this.project] })]));

        this.registerOutputs({ applications: Object.keys(this.applications) });
    }
}

/**
 * Fields the Argo Rollouts controller writes and ArgoCD must neither report as drift nor revert
 * (`RespectIgnoreDifferences=true` makes sync honour the list too): Rollout status, Rollout replicas
 * under an autoscaler, and the pod-template hash the controller adds to the selectors of a
 * Rollout's stable/canary/active/preview Services.
 */
export function rolloutOwnedFields(autoscaled: boolean): NonNullable<ApplicationSpec["ignoreDifferences"]> {
    return [
        { group: "argoproj.io", kind: "Rollout", jsonPointers: autoscaled ? ["/status", "/spec/replicas"] : ["/status"] },
        { group: "", kind: "Service", jsonPointers: ["/spec/selector/rollouts-pod-template-hash"] },
    ];
}

/** An Application that syncs itself: automated with prune and self-heal, namespace created. */
export function applicationSpec(app: ArgoCdApplication, project: string): ApplicationSpec {
    const { source } = app;
    const syncOptions = ["CreateNamespace=true", "RespectIgnoreDifferences=true"];
    return {
        project,
        source: "chart" in source
            ? {
                repoURL: source.repoURL,
                chart: source.chart,
                targetRevision: source.targetRevision,
                helm: { releaseName: source.releaseName ?? app.name, valuesObject: { ...source.values } },
            }
            : { repoURL: source.repoURL, path: source.path, targetRevision: source.targetRevision },
        destination: { server: app.destination.server ?? IN_CLUSTER_SERVER, namespace: app.destination.namespace },
        syncPolicy: {
            automated: { prune: true, selfHeal: true },
            // Charts carry CRDs too large for the last-applied annotation of a client-side apply.
            syncOptions: "chart" in source ? [...syncOptions, "ServerSideApply=true"] : syncOptions,
            retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
        },
        ignoreDifferences: rolloutOwnedFields(app.autoscaled ?? false),
    };
}

/**
 * The project the applications live in. Unless config lists them, it permits exactly the
 * applications' repositories and destinations; cluster-scoped kinds are limited to what they
 * declare, plus Namespace for `CreateNamespace=true`.
 */
export function appProjectSpec(project: AppProjectArgs, applications: readonly ArgoCdApplication[]): AppProjectSpec {
    const unique = <T>(items: readonly T[], key: (item: T) => string): T[] =>
        [...new Map(items.map((item) => [key(item), item])).values()];
    const destinations = project.destinations ??
        applications.map((app) => ({ server: app.destination.server ?? IN_CLUSTER_SERVER, namespace: app.destination.namespace }));
    const clusterResources = applications.length === 0 ? [] : [
        { group: "", kind: "Namespace" },
        ...applications.flatMap((app) => app.clusterResources ?? []),
    ];
    return {
        ...(project.description === undefined ? {} : { description: project.description }),
        sourceRepos: [...new Set(project.sourceRepos ?? applications.map((app) => app.source.repoURL))],
        destinations: unique(destinations, (d) => `${d.server} ${d.namespace}`).map((d) => ({ server: d.server, namespace: d.namespace })),
        clusterResourceWhitelist: unique(clusterResources, (r) => `${r.group}/${r.kind}`).map((r) => ({ group: r.group, kind: r.kind })),
        namespaceResourceWhitelist: [{ group: "*", kind: "*" }],
    };
}
