import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformAlertRules } from "../lib/alertRules";
import { AppMetrics } from "../lib/appMetrics";
import { platformDashboards } from "../lib/dashboards";
import { chartReference, ChartSource, HelmValues, mergeValues } from "../lib/helmCharts";
import { NamedNetworkPolicy } from "../lib/platformNetworkPolicies";
import { podSecurityLabels } from "../lib/podSecurity";
import { KUBE_STATE_LABEL_ALLOWLIST, ROLLOUT_STATE_RBAC_RULES, rolloutStateMetricsConfig } from "../lib/rolloutMetrics";
import { addOnNetworkPolicies } from "./platformNetworkPolicies";

/** The Helm release name; kube-prometheus-stack's own selectors look for `release: <it>`. */
export const MONITORING_RELEASE = "kube-prometheus-stack";
/** The label Grafana's dashboard sidecar watches ConfigMaps for, and its value. */
export const DASHBOARD_LABEL_KEY = "grafana_dashboard";
export const DASHBOARD_LABEL_VALUE = "1";

/** A Service whose `/metrics` Prometheus should scrape. */
export interface ScrapeTarget {
    /** Names the ServiceMonitor. */
    readonly name: string;
    /** Namespace of the Service. */
    readonly namespace: string;
    /** Labels that select the Service. */
    readonly selector: Readonly<Record<string, string>>;
    /** Name of the Service port serving metrics. */
    readonly port: string;
    /**
     * Keep the labels the target reports over Prometheus' target labels, for controllers that report
     * on objects in other namespaces. @default false
     */
    readonly honorLabels?: boolean;
}

/** How the operator's admission webhooks get their TLS certificates. */
export type WebhookCertificates =
    /** cert-manager issues them; the chart is installed after cert-manager's readiness. */
    | { readonly certManager: readonly pulumi.Resource[] }
    /** No webhooks: the operator still checks rules when it loads them, just not at admission. */
    | "off";

export interface MonitoringInstall {
    readonly chart: ChartSource;
    /** Exact chart version (a local chart carries its own). */
    readonly version: string;
    /** Helm values laid over the component's own. @default none */
    readonly values?: HelmValues;
    /** Grafana's admin password. Pass a secret: it is stored in a Kubernetes Secret the chart reads. */
    readonly grafanaAdminPassword: pulumi.Input<string>;
    /** How the operator's admission webhooks get certificates. @default "off" (no admission webhooks) */
    readonly webhookCertificates?: WebhookCertificates;
}

export interface MonitoringArgs {
    /** Namespace of the stack and of the platform's ServiceMonitors, rules and dashboards. */
    readonly namespace: string;
    /** Install kube-prometheus-stack here. @default not installed: Prometheus and Grafana run already */
    readonly install?: MonitoringInstall;
    /** The services' request and latency metrics the dashboards and alerts query. */
    readonly appMetrics: AppMetrics;
    /** How far a canary's error ratio may exceed its stable's before the alert fires. */
    readonly canaryErrorMargin: number;
    /** Services to scrape, e.g. the rollouts controller. @default none */
    readonly scrapeTargets?: readonly ScrapeTarget[];
    /**
     * Labels on the ServiceMonitors and rules so Prometheus selects them; `{}` for none.
     * @default `release: kube-prometheus-stack`, what that chart selects by
     */
    readonly resourceLabels?: Readonly<Record<string, string>>;
    /** The namespace's NetworkPolicies (lib/platformNetworkPolicies.ts). @default none */
    readonly networkPolicies?: readonly NamedNetworkPolicy[];
}

/**
 * Prometheus, Alertmanager and Grafana (kube-prometheus-stack, optional), and what the platform
 * adds to them: ServiceMonitors, the alert rules, and Grafana dashboards as sidecar ConfigMaps.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** The chart, when installed here: its CRDs (ServiceMonitor, PrometheusRule) exist once it is ready. */
    public readonly chart?: k8s.helm.v4.Chart;
    /** What objects that use the monitoring CRDs must wait for. */
    public readonly readiness: pulumi.Resource[];
    public readonly namespace: string;
    public readonly dashboardUids: string[];

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:Monitoring", name, {}, opts);
        if (!(args.canaryErrorMargin >= 0 && args.canaryErrorMargin <= 1)) {
            throw new pulumi.ResourceError(`canaryErrorMargin must be between 0 and 1, got ${args.canaryErrorMargin}`, this);
        }
        this.namespace = args.namespace;
        const labels = { ...(args.resourceLabels ?? { release: MONITORING_RELEASE }) };
        // No labels at all (a Prometheus that selects everything) sends none: the API server drops
        // an empty map, and sending one makes every preview show it being added again.
        const labelled = Object.keys(labels).length === 0 ? {} : { labels };

        let namespace: k8s.core.v1.Namespace | undefined;
        if (args.install !== undefined) {
            // node-exporter needs the host's network, PID namespace and filesystem: privileged.
            namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: args.namespace, labels: podSecurityLabels("privileged") },
            }, { parent: this });
            const grafanaAdmin = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
                metadata: { name: "grafana-admin", namespace: namespace.metadata.name },
                type: "Opaque",
                stringData: { "admin-user": "admin", "admin-password": args.install.grafanaAdminPassword },
            }, { parent: this });
            const webhooks = args.install.webhookCertificates ?? "off";
            this.chart = new k8s.helm.v4.Chart(`${name}-chart`, {
                ...chartReference(args.install.chart, args.install.version),
                name: MONITORING_RELEASE,
                namespace: namespace.metadata.name,
                values: mergeValues(monitoringValues(grafanaAdmin.metadata.name, webhooks), args.install.values ?? {}),
            }, { parent: this, dependsOn: [namespace, grafanaAdmin, ...(webhooks === "off" ? [] : webhooks.certManager)] });
        }
        addOnNetworkPolicies(this, name, { name: args.namespace, owned: namespace }, args.networkPolicies);
        this.readiness = this.chart === undefined ? [] : [this.chart];
        const crdsReady = { parent: this, dependsOn: this.readiness };

        (args.scrapeTargets ?? []).forEach((target) => {
            new k8s.apiextensions.CustomResource(`${name}-${target.name}-monitor`, {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: target.name, namespace: args.namespace, ...labelled },
                spec: serviceMonitorSpec(target),
            }, crdsReady);
        });

        new k8s.apiextensions.CustomResource(`${name}-alerts`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: "rollout-stacks", namespace: args.namespace, ...labelled },
            spec: platformAlertRules({ appMetrics: args.appMetrics, canaryErrorMargin: args.canaryErrorMargin }),
        }, crdsReady);

        const dashboards = platformDashboards(args.appMetrics);
        dashboards.forEach((dashboard) => {
            new k8s.core.v1.ConfigMap(`${name}-dashboard-${dashboard.slug}`, {
                metadata: {
                    name: `rollout-stacks-${dashboard.slug}`,
                    namespace: namespace?.metadata.name ?? args.namespace,
                    labels: { [DASHBOARD_LABEL_KEY]: DASHBOARD_LABEL_VALUE },
                },
                data: { [`${dashboard.slug}.json`]: JSON.stringify(dashboard.model) },
            }, { parent: this });
        });
        this.dashboardUids = dashboards.map((d) => d.uid);

        this.registerOutputs({ namespace: this.namespace, dashboardUids: this.dashboardUids });
    }
}

/** A ServiceMonitor for one target, typed by the prometheus-operator CRD. */
export function serviceMonitorSpec(target: ScrapeTarget): IServiceMonitor["spec"] {
    return {
        selector: { matchLabels: { ...target.selector } },
        namespaceSelector: { matchNames: [target.namespace] },
        endpoints: [{ port: target.port, path: "/metrics", interval: "30s", honorLabels: target.honorLabels ?? false }],
    };
}

/**
 * Chart values the platform relies on: webhook certificates, selectors, the Grafana admin Secret
 * and kube-state-metrics (docs/platform.md: "Helm hooks and kube-prometheus-stack", "The Grafana
 * admin password", "Dashboards and alerts").
 */
export function monitoringValues(grafanaAdminSecret: pulumi.Input<string>, webhooks: WebhookCertificates): Record<string, unknown> {
    const viaCertManager = webhooks !== "off";
    return {
        crds: { enabled: true },
        prometheusOperator: {
            tls: { enabled: viaCertManager },
            admissionWebhooks: {
                enabled: viaCertManager,
                patch: { enabled: false },
                certManager: { enabled: viaCertManager },
            },
        },
        prometheus: {
            prometheusSpec: {
                ruleSelectorNilUsesHelmValues: false,
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
            },
        },
        grafana: {
            admin: { existingSecret: grafanaAdminSecret, userKey: "admin-user", passwordKey: "admin-password" },
            sidecar: { dashboards: { enabled: true, label: DASHBOARD_LABEL_KEY, labelValue: DASHBOARD_LABEL_VALUE } },
        },
        "kube-state-metrics": {
            metricLabelsAllowlist: [...KUBE_STATE_LABEL_ALLOWLIST],
            customResourceState: { enabled: true, config: rolloutStateMetricsConfig() },
            rbac: { extraRules: ROLLOUT_STATE_RBAC_RULES.map((rule) => ({ ...rule })) },
        },
    };
}
