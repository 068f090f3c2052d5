import { StackConfig } from "../config";
import { deployEnvironmentStack } from "./environment";
import { deployPlatformStack } from "./platform";
import { deployPrStack } from "./pr";

/**
 * Picks the compositions the config asks for and returns the stack's outputs: a PR stack, or a
 * long-lived stack with the platform, an environment, or both (the platform first, so the CRDs and
 * controllers the environment's custom resources need exist before them).
 */
export function deployStack(config: StackConfig, stackName: string): object {
    if (config.pr !== undefined) {
        return deployPrStack(config, config.pr, stackName);
    }
    const platform = config.platform === undefined ? undefined : deployPlatformStack(config, config.platform);
    const environment = config.environment === undefined
        ? undefined
        : deployEnvironmentStack(config, config.environment, { dependsOn: platform?.readiness ?? [] });
    return { ...(platform?.outputs ?? {}), ...(environment ?? {}) };
}
