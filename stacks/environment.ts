import * as pulumi from "@pulumi/pulumi";
import { ProgressiveEnvironment } from "../components/progressiveEnvironment";
import { StackConfig } from "../config";
import { EnvironmentConfig } from "../config/environment";
import { environmentHost } from "../lib/naming";
import { previousImageOf } from "../lib/previousImages";
import { recordedHealthyImages } from "../lib/promotionGate";
import { strategyKind } from "../lib/rolloutStrategy";
import { environmentImages } from "./environmentImages";

/**
 * This stack's own outputs of its last update, read through a StackReference to itself: the images
 * its services ran before this update, and the images they have run Healthy.
 */
export function lastUpdate(): pulumi.StackReference {
    return new pulumi.StackReference("last-update", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
}

/**
 * Turns validated config of a long-lived environment into its ProgressiveEnvironment. `dependsOn`
 * holds what must exist first (the platform's CRDs and controllers), `last` the stack's last
 * outputs ({@link lastUpdate}). Returns the stack outputs: per
 * service its image, Rollout and URLs, and for the environment its namespace, URL, strategy and the
 * `deployedAt` the Rollouts carry.
 */
export function deployEnvironmentStack(
    config: StackConfig,
    environment: EnvironmentConfig,
    opts: { dependsOn: pulumi.Input<pulumi.Resource>[]; last: pulumi.StackReference },
): Record<string, unknown> {
    const host = environment.host ?? environmentHost(environment.name, config.domain);
    const lastServices = opts.last.getOutput("services");
    const images = environmentImages(config);
    const deployed = new ProgressiveEnvironment(environment.name, {
        name: environment.name,
        services: config.services.map((spec) => {
            const image = images[spec.name]!;
            return {
                spec,
                image,
                replicas: environment.replicas[spec.name],
                previousImage: lastServices.apply((services) => previousImageOf(services, spec.name, image)),
                healthyImages: lastServices.apply((services) => recordedHealthyImages(services, spec.name)),
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

