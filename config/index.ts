export { CONFIG_NAMESPACE, ConfigError, ConfigProblem } from "./errors";
export { Backend, ConfigSource, loadConfig, pulumiConfigSource, StackConfig } from "./load";
export { PrConfig, StackConfigInput } from "./schema";
