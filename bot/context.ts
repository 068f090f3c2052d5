import type { ConfigMap, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { EngineContext } from "./engine";
import { BotError, EXIT } from "./errors";
import { createGitHubClient, GitHubClient, gitHubSettings, GitHubSettings } from "./github/client";
import { kubeconfigSource } from "./kubeconfig";
import { Output } from "./output";
import { kubernetesRolloutApi, RolloutApi } from "./rollouts/client";
import { kubernetesWorkloadApi, WorkloadApi } from "./workloads";
import { BotSettings, botSettings } from "./workspace";

/** Everything a command needs from outside: settings, output, a clock, the cluster and GitHub. */
export interface BotContext extends EngineContext {
    readonly settings: BotSettings;
    /** The Rollout API for a stack's cluster, from its config (`kubernetes:kubeconfig`). */
    rolloutApi(config: ConfigMap): Promise<RolloutApi>;
    /** Deployments, ReplicaSets and pods of a stack's cluster, from its config. */
    workloadApi(config: ConfigMap): Promise<WorkloadApi>;
    /**
     * GitHub as the environment names it (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL), read
     * only by the commands that post; the client is undefined without a token.
     */
    gitHub(): { readonly settings: GitHubSettings; readonly client?: GitHubClient };
}

export function defaultContext(out: Output, env: NodeJS.ProcessEnv): BotContext {
    return {
        out,
        settings: botSettings(env),
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        rolloutApi: (config) => kubernetesRolloutApi(kubeconfigSource(config)),
        workloadApi: (config) => kubernetesWorkloadApi(kubeconfigSource(config)),
        gitHub: () => {
            const settings = gitHubSettings(env);
            const client = createGitHubClient(settings, { log: (line) => out.progress(`  ${line}`) });
            return client === undefined ? { settings } : { settings, client };
        },
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
