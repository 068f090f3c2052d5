import type { ConfigMap, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { EngineContext } from "./engine";
import { BotError, EXIT } from "./errors";
import { Output } from "./output";
import { kubeconfigSource, kubernetesRolloutApi, RolloutApi } from "./rollouts";
import { BotSettings, botSettings } from "./workspace";

/** Everything a command needs from outside: settings, output, a clock, and the cluster. */
export interface BotContext extends EngineContext {
    readonly settings: BotSettings;
    /** The Rollout API for a stack's cluster, from its config (`kubernetes:kubeconfig`). */
    rolloutApi(config: ConfigMap): Promise<RolloutApi>;
}

export function defaultContext(out: Output, env: NodeJS.ProcessEnv): BotContext {
    return {
        out,
        settings: botSettings(env),
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        rolloutApi: (config) => kubernetesRolloutApi(kubeconfigSource(config)),
    };
}

/** A stack output as plain JSON: secrets stay hidden, as `pulumi stack output` shows them. */
export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]));
}

/** The namespace a stack's workloads run in, from its `namespace` output. */
export async function stackNamespace(stack: Stack): Promise<string> {
    const namespace = (await stack.outputs()).namespace?.value;
    if (typeof namespace !== "string" || namespace === "") {
        throw new BotError(`${stack.name} has no namespace output; run \`pulumi up\` on it first, or check that it deploys an environment`, EXIT.failed);
    }
    return namespace;
}
