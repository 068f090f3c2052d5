import * as pulumi from "@pulumi/pulumi";
import { AnalysisTemplates } from "../components/analysisTemplates";
import { IsolatedNamespace } from "../components/isolatedNamespace";
import { ProgressiveService } from "../components/progressiveService";
import { IngressTls, tlsSecretNameFor } from "../components/serviceIngress";
import { StackConfig } from "../config";
import { EnvironmentConfig } from "../config/environment";
import { serviceImage } from "../lib/imageRef";
import { strategyKind } from "../lib/rolloutStrategy";

/** The public host of an environment when none is configured: `<name>.<domain>`. */
function environmentHost(name: string, domain: string): string {
    return `${name}.${domain}`;
}

/**
 * Turns validated config of a long-lived environment into its namespace, AnalysisTemplates and one
 * Argo Rollout per catalogue service. `dependsOn` holds what must exist first (the platform's CRDs
 * and controllers). Returns the stack outputs: per service its image, Rollout and URLs, and for the
 * environment its namespace, URL, strategy and the `deployedAt` the Rollouts carry.
 */
export function deployEnvironmentStack(
    config: StackConfig,
    environment: EnvironmentConfig,
    opts: { dependsOn: pulumi.Input<pulumi.Resource>[] },
): Record<string, unknown> {
    const host = environment.host ?? environmentHost(environment.name, config.domain);
    const ports = [...new Set(config.services.map((s) => s.port))];
    const envLabels = { "rollout-stacks.io/environment": environment.name };

    const namespace = new IsolatedNamespace(`${environment.name}-ns`, {
        name: environment.name,
        labels: envLabels,
        ingressNamespace: environment.ingressNamespace,
        ingressPorts: ports,
        allowFrom: [{ name: "monitoring", namespace: environment.monitoringNamespace, ports }],
    }, { dependsOn: opts.dependsOn });

    // Deleted with the namespace, not one by one: see IsolatedNamespace.
    const deletedWith = namespace.namespace;
    const templates = new AnalysisTemplates(`${environment.name}-analysis`, {
        namespace: namespace.name,
        ...environment.analysis,
    }, { dependsOn: opts.dependsOn, deletedWith });

    const workloads = config.services.map((spec, index) => {
        // The schema requires imageTag, or images.<service> for every service, on an environment.
        const image = serviceImage(spec.image, config.imageTag ?? "", config.images[spec.name]);
        const workload = new ProgressiveService(`${environment.name}-${spec.name}`, {
            namespace: namespace.name,
            service: spec,
            image,
            replicas: config.active ? (environment.replicas[spec.name] ?? spec.replicas) : 0,
            deployedAt: config.deployedAt,
            holdRestart: !config.active,
            restartStrategy: environment.restartStrategy,
            strategy: environment.strategy,
            labels: envLabels,
            host,
            tls: ingressTls(environment, host, index),
            ingressClassName: environment.ingressClassName,
        }, { dependsOn: [...opts.dependsOn, templates], deletedWith });
        return { spec, image, workload };
    });

    return {
        environment: environment.name,
        namespace: namespace.name,
        url: `https://${host}`,
        strategy: strategyKind(environment.strategy),
        active: config.active,
        lastDeployedAt: workloads[0]!.workload.restartedAt,
        services: Object.fromEntries(workloads.map(({ spec, image, workload }) => [spec.name, {
            image,
            rollout: workload.rolloutName,
            url: workload.url,
            clusterUrl: workload.clusterUrl,
            previewUrl: workload.previewUrl,
        }])),
    };
}

/**
 * One certificate per host. The first service's Ingress asks cert-manager for it and the others
 * serve the Secret it lands in: cert-manager does not share one Certificate between Ingresses, and
 * a certificate per Ingress would hit Let's Encrypt's limit on duplicate certificates.
 */
function ingressTls(environment: EnvironmentConfig, host: string, index: number): IngressTls {
    if (environment.tlsSecretName !== undefined) {
        return { secretName: environment.tlsSecretName };
    }
    return index === 0 ? { clusterIssuer: environment.clusterIssuer } : { secretName: tlsSecretNameFor(host) };
}
