import { ConfigError, StackConfig } from "../config";
import { deployPrStack } from "./pr";

/** Picks the composition the config asks for and returns the stack's outputs. */
export function deployStack(config: StackConfig, stackName: string): object {
    if (config.pr !== undefined) {
        return deployPrStack(config, config.pr, stackName);
    }
    throw new ConfigError([{
        key: "rollout-stacks:pr",
        message: "the stack deploys nothing; set pr (a PR stack), or environment and platform (a long-lived environment)",
        given: "nothing",
    }]);
}
