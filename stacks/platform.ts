import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgoCd, ArgoCdApplication } from "../components/argoCd";
import { ArgoRolloutsController, argoRolloutsApplication, argoRolloutsMetrics } from "../components/argoRolloutsController";
import { CertManager } from "../components/certManager";
import { Monitoring, MonitoringInstall } from "../components/monitoring";
import { PlatformNetworkPolicies } from "../components/platformNetworkPolicies";
import { RolloutNotifications } from "../components/rolloutNotifications";
import { StackConfig } from "../config";
import { ApiServerSetting, MonitoringViaHelm, PlatformConfig, ROLLOUTS_APPLICATION } from "../config/platform";
import { ANY_ADDRESS } from "../lib/cidr";
import { AddOnPolicies, ApiServerAddresses, apiServerAddresses, NamedNetworkPolicy, platformNetworkPolicies, PlatformPolicyContext } from "../lib/platformNetworkPolicies";

/** What the platform tells its users: per enabled add-on, where it runs and what it made. */
interface PlatformOutputs {
    argoRollouts?: { installVia: string; namespace: string; dashboard: boolean; notificationServices: string[] };
    argoCd?: { namespace: string; project: string; applications: string[] };
    monitoring?: { namespace: string; dashboards: string[] };
    certManager?: { namespace: string; clusterIssuers: string[] };
}

/**
 * The cluster add-ons, in dependency order: cert-manager (its ClusterIssuers, and the certificates of
 * the monitoring webhooks), the Argo Rollouts controller, monitoring (ServiceMonitors and rules need
 * its CRDs), then ArgoCD and its Applications. Custom resources wait for the chart that brings their
 * CRDs. `readiness` is what the environment's objects wait for: the Rollouts CRDs and controller, the
 * monitoring CRDs (for their ServiceMonitors) and the ClusterIssuers (for their ingresses).
 *
 * Each add-on's namespace gets the NetworkPolicies its config turns on (docs/platform.md, "Network
 * policies").
 *
 * The platform reads its own key of the stack config, `appMetrics`, which its dashboards and alerts
 * share with the environments' analysis, and the services' ports, which Prometheus may scrape.
 */
export function deployPlatformStack(config: StackConfig, platform: PlatformConfig): { outputs: Record<string, unknown>; readiness: pulumi.Resource[] } {
    const { argoRollouts, argoCd, monitoring, certManager } = platform;
    const readiness: pulumi.Resource[] = [];
    const outputs: PlatformOutputs = {};
    const policiesOf = networkPolicyBuilder(platform);
    let rolloutsApplication: pulumi.Resource | undefined;

    let certs: CertManager | undefined;
    if (certManager.enabled) {
        certs = new CertManager("cert-manager", {
            namespace: certManager.namespace,
            install: certManager.installVia === "helm"
                ? { chart: certManager.chart, version: certManager.version, values: certManager.values }
                : undefined,
            clusterIssuers: certManager.clusterIssuers,
            networkPolicies: policiesOf((settings) => ({ addOn: "certManager", acmeServers: settings.acmeServers }), certManager),
        });
        readiness.push(...certs.readiness);
        outputs.certManager = { namespace: certManager.namespace, clusterIssuers: Object.keys(certs.clusterIssuers) };
    }

    // Installed via ArgoCD, the controller is ArgoCD's alone: Pulumi then owns only its Application.
    const rolloutsViaArgoCd = argoRollouts.enabled && argoRollouts.installVia === "argocd";
    if (argoRollouts.enabled && argoRollouts.installVia === "helm") {
        const controller = new ArgoRolloutsController("argo-rollouts", {
            namespace: argoRollouts.namespace,
            chart: argoRollouts.chart,
            version: argoRollouts.version,
            dashboard: argoRollouts.dashboard,
            values: argoRollouts.values,
            networkPolicies: policiesOf((settings) => ({ addOn: "argoRollouts", ingressController: settings.ingressController, notificationServers: settings.notificationServers }), argoRollouts),
            notifications: argoRollouts.notifications,
        });
        readiness.push(...controller.readiness);
    }
    if (argoRollouts.enabled) {
        const notifications = argoRollouts.notifications;
        outputs.argoRollouts = {
            installVia: argoRollouts.installVia,
            namespace: argoRollouts.namespace,
            dashboard: argoRollouts.dashboard,
            notificationServices: notifications === undefined
                ? []
                : [...Object.keys(notifications.webhooks), ...(notifications.slack === undefined ? [] : ["slack"])],
        };
    }

    if (monitoring.enabled) {
        const monitors = new Monitoring("monitoring", {
            namespace: monitoring.namespace,
            install: monitoring.installVia === "helm" ? monitoringInstall(monitoring, certs) : undefined,
            appMetrics: config.appMetrics,
            canaryErrorMargin: monitoring.canaryErrorMargin,
            scrapeTargets: argoRollouts.enabled ? [argoRolloutsMetrics(argoRollouts.namespace)] : [],
            resourceLabels: monitoring.resourceLabels,
            networkPolicies: policiesOf((settings) => ({
                addOn: "monitoring",
                ingressController: settings.ingressController,
                // The environments' ServiceMonitors scrape each service's own port.
                scrapePorts: [...config.services.map((service) => service.port), ...settings.scrapePorts],
                nodes: settings.nodes,
                operatorWebhook: monitoring.installVia === "helm" && certs !== undefined,
            }), monitoring),
        });
        readiness.push(...monitors.readiness);
        outputs.monitoring = { namespace: monitoring.namespace, dashboards: monitors.dashboardUids };
    }

    if (argoCd.enabled) {
        const applications: ArgoCdApplication[] = argoCd.applications.map((app) => ({
            name: app.name,
            source: { repoURL: app.repoURL, path: app.path, targetRevision: app.targetRevision },
            destination: { server: app.server, namespace: app.namespace },
            autoscaled: app.autoscaled,
            clusterResources: app.clusterResources,
        }));
        if (rolloutsViaArgoCd) {
            applications.push(argoRolloutsApplication(ROLLOUTS_APPLICATION, {
                repo: argoRollouts.chart.repo,
                chartName: argoRollouts.chart.name,
                version: argoRollouts.version,
                namespace: argoRollouts.namespace,
                dashboard: argoRollouts.dashboard,
                values: argoRollouts.values,
                notifications: argoRollouts.notifications,
            }));
        }
        const cd = new ArgoCd("argo-cd", {
            namespace: argoCd.namespace,
            install: argoCd.installVia === "helm" ? { chart: argoCd.chart, version: argoCd.version, values: argoCd.values } : undefined,
            project: argoCd.project,
            applications,
            cascadeDelete: argoCd.cascadeDelete,
            networkPolicies: policiesOf((settings) => ({ addOn: "argoCd", ingressController: settings.ingressController, repositories: settings.repositories }), argoCd),
        });
        if (argoCd.networkPolicies !== undefined && argoCd.networkPolicies.repositories.length === 0 && applications.length > 0) {
            pulumi.log.warn("platform.argoCd.networkPolicies.repositories lists no addresses, so ArgoCD's repo-server cannot fetch the " +
                `applications' repositories (${[...new Set(applications.map((app) => app.source.repoURL))].join(", ")}); list their CIDRs, ` +
                `or write ${JSON.stringify(ANY_ADDRESS)} for anywhere (ports 443 and 22 only)`);
        }
        rolloutsApplication = cd.applications[ROLLOUTS_APPLICATION];
        if (rolloutsViaArgoCd && rolloutsApplication !== undefined) {
            // Annotated to wait until Healthy, so depending on it means the CRDs and controller are up.
            readiness.push(rolloutsApplication);
        }
        outputs.argoCd = { namespace: argoCd.namespace, project: argoCd.project.name, applications: applications.map((app) => app.name) };
    }

    // Not installed by this stack: the controller's namespace is someone else's, so its policies and
    // notification config stand alone. ArgoCD's chart writes the ConfigMap; an external controller's
    // is this stack's (docs/progressive-delivery.md, "Who owns the notification config").
    if (argoRollouts.enabled && argoRollouts.installVia !== "helm" && argoRollouts.notifications !== undefined) {
        new RolloutNotifications("argo-rollouts-notifications", {
            namespace: argoRollouts.namespace,
            ...argoRollouts.notifications,
            configMap: argoRollouts.installVia === "argocd" ? "chart" : "component",
        }, { dependsOn: rolloutsApplication === undefined ? [] : [rolloutsApplication] });
    }
    if (argoRollouts.enabled && argoRollouts.installVia !== "helm") {
        const policies = policiesOf((settings) => ({ addOn: "argoRollouts", ingressController: settings.ingressController, notificationServers: settings.notificationServers }), argoRollouts);
        if (policies !== undefined) {
            // ArgoCD creates the namespace when it syncs the controller's Application.
            new PlatformNetworkPolicies("argo-rollouts-network-policies", { namespace: argoRollouts.namespace, policies },
                { dependsOn: rolloutsApplication === undefined ? [] : [rolloutsApplication] });
        }
    }

    return { outputs: { platform: outputs }, readiness };
}

/**
 * The NetworkPolicies of an add-on whose policies are on (docs/platform.md, "Network policies"), with
 * what the add-ons share. The API server's EndpointSlice is read once, and only when some add-on has
 * policies.
 */
function networkPolicyBuilder(platform: PlatformConfig) {
    const { argoRollouts, monitoring, networkPolicies: shared } = platform;
    let context: PlatformPolicyContext | undefined;
    const contextOnce = (): PlatformPolicyContext => {
        if (context === undefined) {
            const apiServer = apiServerOf(shared.apiServer);
            context = {
                apiServer,
                webhookSources: shared.webhookSources ?? pulumi.output(apiServer).apply((api) => api.cidrs),
                ingressNamespace: shared.ingressNamespace,
                ...(monitoring.enabled ? { monitoringNamespace: monitoring.namespace } : {}),
                ...(argoRollouts.enabled ? { rolloutsNamespace: argoRollouts.namespace } : {}),
            };
        }
        return context;
    };
    return <Settings>(policies: (settings: Settings) => AddOnPolicies, addOn: { readonly enabled: boolean; readonly networkPolicies?: Settings }):
        NamedNetworkPolicy[] | undefined => (addOn.enabled && addOn.networkPolicies !== undefined
        ? platformNetworkPolicies(contextOnce(), policies(addOn.networkPolicies))
        : undefined);
}

/** The API server's addresses as configured, or as its `default/kubernetes` EndpointSlice lists them. */
function apiServerOf(setting: ApiServerSetting): pulumi.Input<ApiServerAddresses> {
    if (!("discover" in setting)) {
        return { cidrs: setting.cidrs, ports: setting.ports };
    }
    const slice = k8s.discovery.v1.EndpointSlice.get("kubernetes-api-server", "default/kubernetes");
    return pulumi.all([slice.endpoints, slice.ports]).apply(([endpoints, ports]) => {
        const found = apiServerAddresses({ endpoints, ports });
        if (found.cidrs.length === 0 || found.ports.length === 0) {
            pulumi.log.warn("the EndpointSlice default/kubernetes lists no API server address and port, so the platform's pods may not " +
                "reach the API server; set them with platform.networkPolicies.apiServer (CIDRs) and apiServerPorts", slice);
        }
        return found;
    });
}

/** kube-prometheus-stack's installation: its webhook certificates come from cert-manager when it is there. */
function monitoringInstall(monitoring: MonitoringViaHelm, certs: CertManager | undefined): MonitoringInstall {
    return {
        chart: monitoring.chart,
        version: monitoring.version,
        values: monitoring.values,
        grafanaAdminPassword: monitoring.grafanaAdminPassword,
        webhookCertificates: certs === undefined ? "off" : { certManager: certs.readiness },
    };
}
