import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReference, ChartSource, HelmValues, mergeValues } from "../lib/helmCharts";
import { NamedNetworkPolicy } from "../lib/platformNetworkPolicies";
import { podSecurityLabels } from "../lib/podSecurity";
import type { ArgoCdApplication } from "./argoCd";
import type { ScrapeTarget } from "./monitoring";
import { addOnNetworkPolicies } from "./platformNetworkPolicies";
import { notificationChartValues, RolloutNotifications, RolloutNotificationsArgs } from "./rolloutNotifications";

/** Notification services of the controller: webhooks and Slack (components/rolloutNotifications.ts). */
export type ControllerNotifications = Pick<RolloutNotificationsArgs, "webhooks" | "slack">;

/** The Helm release name; with the chart of the same name it is also every object's name prefix. */
export const ARGO_ROLLOUTS_RELEASE = "argo-rollouts";

export interface ArgoRolloutsControllerArgs {
    /** Namespace the controller runs in; the component creates it. */
    readonly namespace: string;
    /** Where the argo-rollouts chart comes from. */
    readonly chart: ChartSource;
    /** Exact chart version (a local chart carries its own). */
    readonly version: string;
    /** Run the Rollouts dashboard behind a ClusterIP Service (reach it with port-forward). @default false */
    readonly dashboard?: boolean;
    /** Helm values laid over the component's own. @default none */
    readonly values?: HelmValues;
    /** The namespace's NetworkPolicies (lib/platformNetworkPolicies.ts). @default none */
    readonly networkPolicies?: readonly NamedNetworkPolicy[];
    /** Notification services: the chart writes the ConfigMap, a child the Secret. @default none (the chart's empty ConfigMap) */
    readonly notifications?: ControllerNotifications;
}

/**
 * The Argo Rollouts controller, installed by Pulumi from its Helm chart with `helm.v4.Chart`
 * (why not `helm.v3.Release`: docs/platform.md, "Why `helm.v4.Chart`").
 */
export class ArgoRolloutsController extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly chart: k8s.helm.v4.Chart;
    /** What objects using the Rollouts CRDs (Rollout, AnalysisTemplate) must wait for. */
    public readonly readiness: pulumi.Resource[];
    /** The notification Secret (and the services Rollouts may subscribe to), when notifications are configured. */
    public readonly notifications?: RolloutNotifications;

    constructor(name: string, args: ArgoRolloutsControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:ArgoRolloutsController", name, {}, opts);
        // The dashboard's pod does not meet "restricted" in every chart version; the controller does.
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: args.namespace, labels: podSecurityLabels("baseline") },
        }, { parent: this });
        this.namespace = namespace.metadata.name;

        this.chart = new k8s.helm.v4.Chart(`${name}-chart`, {
            ...chartReference(args.chart, args.version),
            name: ARGO_ROLLOUTS_RELEASE,
            namespace: this.namespace,
            values: argoRolloutsValues(args.dashboard ?? false, args.values ?? {}, args.notifications),
        }, { parent: this, dependsOn: [namespace] });
        if (args.notifications !== undefined) {
            this.notifications = new RolloutNotifications(`${name}-notifications`, {
                namespace: this.namespace,
                ...args.notifications,
                configMap: "chart",
            }, { parent: this, dependsOn: [namespace] });
        }

        addOnNetworkPolicies(this, name, { name: args.namespace, owned: namespace }, args.networkPolicies);

        this.readiness = [this.chart];
        this.registerOutputs({ namespace: this.namespace });
    }
}

/**
 * The chart values, wherever the chart is installed from (Pulumi here, or ArgoCD): CRDs kept on
 * uninstall (deleting them would delete every Rollout), metrics Service on, and the chart's own
 * ServiceMonitor off because the Monitoring component owns that one. With notifications, the chart's
 * notification ConfigMap carries their services, triggers and templates.
 */
export function argoRolloutsValues(dashboard: boolean, overrides: HelmValues, notifications?: ControllerNotifications): Record<string, unknown> {
    return mergeValues({
        installCRDs: true,
        keepCRDs: true,
        controller: { metrics: { enabled: true, serviceMonitor: { enabled: false } } },
        dashboard: { enabled: dashboard, service: { type: "ClusterIP" } },
        ...(notifications === undefined ? {} : notificationChartValues(notifications)),
    }, overrides);
}

/**
 * The metrics Service the chart creates for release `argo-rollouts`. The controller reports on
 * Rollouts in every namespace, so their `namespace` label must win over the controller's own.
 */
export function argoRolloutsMetrics(namespace: string): ScrapeTarget {
    return {
        name: "argo-rollouts",
        namespace,
        selector: {
            "app.kubernetes.io/name": "argo-rollouts",
            "app.kubernetes.io/instance": ARGO_ROLLOUTS_RELEASE,
            "app.kubernetes.io/component": "rollouts-controller",
        },
        port: "metrics",
        honorLabels: true,
    };
}

export interface ArgoRolloutsApplicationArgs {
    /** Chart repository URL ArgoCD fetches from (ArgoCD cannot read a path on this machine). */
    readonly repo: string;
    /** The chart's name in that repository. */
    readonly chartName: string;
    /** Exact chart version. */
    readonly version: string;
    /** Namespace the controller runs in; ArgoCD creates it. */
    readonly namespace: string;
    /** Run the Rollouts dashboard behind a ClusterIP Service. @default false (no dashboard) */
    readonly dashboard?: boolean;
    /** Helm values laid over the component's own. @default none */
    readonly values?: HelmValues;
    /** Notification services, in the chart's ConfigMap; the Secret is created beside the Application. @default none */
    readonly notifications?: ControllerNotifications;
}

/**
 * The controller as an ArgoCD Application instead of a Pulumi-installed chart: ArgoCD then owns
 * every object of the chart, and Pulumi owns only the Application. `pulumi up` waits until ArgoCD
 * reports it Healthy, so the environment's Rollouts are not created before their CRDs.
 */
export function argoRolloutsApplication(name: string, args: ArgoRolloutsApplicationArgs): ArgoCdApplication {
    return {
        name,
        source: {
            repoURL: args.repo,
            chart: args.chartName,
            targetRevision: args.version,
            releaseName: ARGO_ROLLOUTS_RELEASE,
            values: argoRolloutsValues(args.dashboard ?? false, args.values ?? {}, args.notifications),
        },
        destination: { namespace: args.namespace },
        // The chart's CRDs, cluster roles and their bindings, and the namespace ArgoCD creates.
        clusterResources: [
            { group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" },
            { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
            { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
        ],
        waitUntilHealthy: true,
    };
}
