import { StackConfig } from "../config";
import type * as EnvironmentStack from "./environment";
import type * as PlatformStack from "./platform";
import { deployPrStack } from "./pr";
import type * as PromotionGate from "./promotionGate";

/*
 * The long-lived stacks' compositions are loaded by the long-lived stacks only: a PR stack, whose
 * preview runs on every push, does not load the platform's and the environments' modules (about
 * 0.3 s of its start, bench/RESULTS.md).
 */
const environmentStack = (): typeof EnvironmentStack => require("./environment");
const platformStack = (): typeof PlatformStack => require("./platform");
const promotionGate = (): typeof PromotionGate => require("./promotionGate");

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
        return config.platform === undefined ? {} : platformStack().deployPlatformStack(config, config.platform).outputs;
    }
    const { deployEnvironmentStack, lastUpdate } = environmentStack();
    const last = lastUpdate();
    // Before anything that changes is registered: a refused update changes nothing, the platform included.
    await promotionGate().enforcePromotionGate(config, config.environment, last);
    const platform = config.platform === undefined ? undefined : platformStack().deployPlatformStack(config, config.platform);
    const environment = deployEnvironmentStack(config, config.environment, { dependsOn: platform?.readiness ?? [], last });
    return { ...(platform?.outputs ?? {}), ...environment };
}
