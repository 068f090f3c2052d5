import * as pulumi from "@pulumi/pulumi";
import { PrEnvironment } from "../components/prEnvironment";
import { PrConfig, StackConfig } from "../config";
import { goDurationSeconds } from "../lib/duration";
import { serviceImage } from "../lib/imageRef";
import { prStackName } from "../lib/naming";

/** The stack outputs of a PR stack: what the bot prints and a PR comment links to. */
export interface PrStackOutputs {
    readonly namespace: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;
    readonly active: boolean;
    readonly lastDeployedAt: pulumi.Output<string | null>;
    readonly services: PrEnvironment["services"];
}

/** Turns validated config of a PR stack into its environment; config has checked that the stack is named for its PR. */
export function deployPrStack(config: StackConfig, pr: PrConfig, stackName: string): PrStackOutputs {
    const selected = pr.services === undefined
        ? config.services
        : config.services.filter((service) => pr.services?.includes(service.name));
    const tag = config.imageTag ?? prStackName(pr.number);

    const environment = new PrEnvironment(prStackName(pr.number), {
        prNumber: pr.number,
        domain: config.domain,
        stackName,
        services: selected.map((spec) => ({ spec, image: serviceImage(spec.image, tag, config.images[spec.name]) })),
        host: pr.customDomain,
        deployedAt: config.deployedAt,
        active: config.active,
        tls: pr.tlsSecretName === undefined ? { clusterIssuer: pr.clusterIssuer } : { secretName: pr.tlsSecretName },
        ingressClassName: pr.ingressClassName,
        ingressNamespace: pr.ingressNamespace,
        quota: pr.quota,
        containerDefaults: pr.containerDefaults,
        backends: config.backends,
        ttlHours: pr.ttlHours,
        readyTimeoutSeconds: goDurationSeconds(pr.readyTimeout),
    });

    return {
        namespace: environment.namespace,
        url: environment.url,
        active: environment.active,
        lastDeployedAt: environment.lastDeployedAt,
        services: environment.services,
    };
}
