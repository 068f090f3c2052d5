import { StackConfig } from "../config";
import { deployEnvironmentStack, lastUpdate } from "./environment";
import { deployPlatformStack } from "./platform";
import { deployPrStack } from "./pr";
import { enforcePromotionGate } from "./promotionGate";

/**
 * Picks the compositions the config asks for and returns the stack's outputs: a PR stack, or a
 * long-lived stack with the platform, an environment, or both (the platform first, so the CRDs and
 * controllers the environment's custom resources need exist before them). An environment's
 * promotion gate runs before either registers anything.
 */
export async function deployStack(config: StackConfig, stackName: string): Promise<object> {
    if (config.pr !== undefined) {
        return deployPrStack(config, config.pr, stackName);
    }
    if (config.environment === undefined) {
        return config.platform === undefined ? {} : deployPlatformStack(config, config.platform).outputs;
    }
    const last = lastUpdate();
    // Before anything that changes is registered: a refused update changes nothing, the platform included.
    await enforcePromotionGate(config, config.environment, last);
    const platform = config.platform === undefined ? undefined : deployPlatformStack(config, config.platform);
    const environment = deployEnvironmentStack(config, config.environment, { dependsOn: platform?.readiness ?? [], last });
    return { ...(platform?.outputs ?? {}), ...environment };
}
