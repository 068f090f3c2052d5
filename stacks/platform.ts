import * as pulumi from "@pulumi/pulumi";
import { ArgoCd, ArgoCdApplication } from "../components/argoCd";
import { ArgoRolloutsController, argoRolloutsApplication, argoRolloutsMetrics } from "../components/argoRolloutsController";
import { CertManager } from "../components/certManager";
import { Monitoring, MonitoringInstall } from "../components/monitoring";
import { StackConfig } from "../config";
import { MonitoringViaHelm, PlatformConfig, ROLLOUTS_APPLICATION } from "../config/platform";

/** What the platform tells its users: per enabled add-on, where it runs and what it made. */
interface PlatformOutputs {
    argoRollouts?: { installVia: string; namespace: string; dashboard: boolean };
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
 * The platform reads its own key of the stack config, and `appMetrics`, which its dashboards and
 * alerts share with the environments' analysis.
 */
export function deployPlatformStack(config: StackConfig, platform: PlatformConfig): { outputs: Record<string, unknown>; readiness: pulumi.Resource[] } {
    const { argoRollouts, argoCd, monitoring, certManager } = platform;
    const readiness: pulumi.Resource[] = [];
    const outputs: PlatformOutputs = {};

    let certs: CertManager | undefined;
    if (certManager.enabled) {
        certs = new CertManager("cert-manager", {
            namespace: certManager.namespace,
            install: certManager.installVia === "helm"
                ? { chart: certManager.chart, version: certManager.version, values: certManager.values }
                : undefined,
            clusterIssuers: certManager.clusterIssuers,
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
        });
        readiness.push(...controller.readiness);
    }
    if (argoRollouts.enabled) {
        outputs.argoRollouts = { installVia: argoRollouts.installVia, namespace: argoRollouts.namespace, dashboard: argoRollouts.dashboard };
    }

    if (monitoring.enabled) {
        const monitors = new Monitoring("monitoring", {
            namespace: monitoring.namespace,
            install: monitoring.installVia === "helm" ? monitoringInstall(monitoring, certs) : undefined,
            appMetrics: config.appMetrics,
            canaryErrorMargin: monitoring.canaryErrorMargin,
            scrapeTargets: argoRollouts.enabled ? [argoRolloutsMetrics(argoRollouts.namespace)] : [],
            resourceLabels: monitoring.resourceLabels,
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
            }));
        }
        const cd = new ArgoCd("argo-cd", {
            namespace: argoCd.namespace,
            install: argoCd.installVia === "helm" ? { chart: argoCd.chart, version: argoCd.version, values: argoCd.values } : undefined,
            project: argoCd.project,
            applications,
            cascadeDelete: argoCd.cascadeDelete,
        });
        const rolloutsApplication = cd.applications[ROLLOUTS_APPLICATION];
        if (rolloutsViaArgoCd && rolloutsApplication !== undefined) {
            // Annotated to wait until Healthy, so depending on it means the CRDs and controller are up.
            readiness.push(rolloutsApplication);
        }
        outputs.argoCd = { namespace: argoCd.namespace, project: argoCd.project.name, applications: applications.map((app) => app.name) };
    }

    return { outputs: { platform: outputs }, readiness };
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
