import * as pulumi from "@pulumi/pulumi";
import { ProgressiveEnvironment } from "../components/progressiveEnvironment";
import { StackConfig } from "../config";
import { EnvironmentConfig } from "../config/environment";
import { serviceImage } from "../lib/imageRef";
import { environmentHost } from "../lib/naming";
import { previousImageOf } from "../lib/previousImages";
import { strategyKind } from "../lib/rolloutStrategy";

/**
 * Turns validated config of a long-lived environment into its ProgressiveEnvironment. `dependsOn`
 * holds what must exist first (the platform's CRDs and controllers). Returns the stack outputs: per
 * service its image, Rollout and URLs, and for the environment its namespace, URL, strategy and the
 * `deployedAt` the Rollouts carry.
 */
export function deployEnvironmentStack(
    config: StackConfig,
    environment: EnvironmentConfig,
    opts: { dependsOn: pulumi.Input<pulumi.Resource>[] },
): Record<string, unknown> {
    const host = environment.host ?? environmentHost(environment.name, config.domain);
    // This stack's own outputs of its last update: the images its services ran before this one.
    const last = new pulumi.StackReference("last-update", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const lastServices = last.getOutput("services");
    const deployed = new ProgressiveEnvironment(environment.name, {
        name: environment.name,
        services: config.services.map((spec) => {
            // The schema requires imageTag, or images.<service> for every service, on an environment.
            const image = serviceImage(spec.image, config.imageTag ?? "", config.images[spec.name]);
            return {
                spec,
                image,
                replicas: environment.replicas[spec.name],
                previousImage: lastServices.apply((services) => previousImageOf(services, spec.name, image)),
            };
        }),
        strategy: environment.strategy,
        analysis: { ...environment.analysis, appMetrics: config.appMetrics },
        host,
        tls: environment.tlsSecretName === undefined ? { clusterIssuer: environment.clusterIssuer } : { secretName: environment.tlsSecretName },
        deployedAt: config.deployedAt,
        restartStrategy: environment.restartStrategy,
        active: config.active,
        ingressClassName: environment.ingressClassName,
        ingressNamespace: environment.ingressNamespace,
        monitoringNamespace: environment.monitoringNamespace,
        progressDeadline: environment.progressDeadlineSeconds === undefined
            ? undefined
            : { seconds: environment.progressDeadlineSeconds, abort: environment.progressDeadlineAbort },
        rollbackWindow: environment.rollbackWindow,
        notifications: environment.notifications.subscriptions,
    }, { dependsOn: opts.dependsOn });

    return {
        environment: environment.name,
        namespace: deployed.namespace,
        url: deployed.url,
        strategy: strategyKind(environment.strategy),
        active: deployed.active,
        lastDeployedAt: deployed.lastDeployedAt,
        services: deployed.services,
    };
}

