import { Policies, PolicyPackArgs, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { hostAccessProblems, limitProblems, nonRootProblems, privilegeProblems, readOnlyRootProblems } from "./rules/containers";
import { imageProblems } from "./rules/images";
import { prNamespaceProblems, StackResource } from "./rules/prNamespace";
import { rolloutAnalysisProblems } from "./rules/rolloutAnalysis";
import { ContainerInfo, isWorkload, workloadContainers, workloadNamespace, workloadPodSpec } from "./rules/workloads";

/**
 * The rules as @pulumi/policy policies. Kept apart from index.ts, which serves them to the engine
 * when constructed, so tests can run every policy without starting a policy server.
 */

/** Config of the container policies: namespaces of third-party charts a platform stack may exempt. */
export interface ContainerPolicyConfig {
    readonly exemptNamespaces: readonly string[];
}

/** Config of the Rollout policy: which stacks are production. */
export interface RolloutPolicyConfig {
    readonly productionStacks: readonly string[];
}

const CONTAINER_CONFIG_SCHEMA = {
    properties: {
        exemptNamespaces: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [],
            description: "Namespaces whose workloads this policy skips, e.g. a third-party chart's that cannot be changed",
        },
    },
};

/** A policy over each workload's containers and pod spec, skipping the namespaces its config exempts. */
function containerPolicy(
    name: string, description: string, check: (containers: readonly ContainerInfo[], podSpec: Record<string, any>) => string[],
): ResourceValidationPolicy {
    return {
        name,
        description,
        configSchema: CONTAINER_CONFIG_SCHEMA,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!isWorkload(args)) {
                return;
            }
            const { exemptNamespaces } = { exemptNamespaces: [] as readonly string[], ...args.getConfig<Partial<ContainerPolicyConfig>>() };
            const namespace = workloadNamespace(args);
            if (namespace !== undefined && exemptNamespaces.includes(namespace)) {
                return;
            }
            check(workloadContainers(args), workloadPodSpec(args) ?? {}).forEach((message) => reportViolation(message));
        },
    };
}

export const policies: Policies = [
    containerPolicy("pinned-images", "Container images pin a tag or digest and never use 'latest'.", imageProblems),
    containerPolicy("container-limits", "Every container sets CPU and memory limits.", limitProblems),
    containerPolicy("container-non-root", "Every container runs as a non-root user.", nonRootProblems),
    containerPolicy("container-read-only-root", "Every container has a read-only root filesystem.", readOnlyRootProblems),
    containerPolicy("container-no-privilege", "No container is privileged, escalates privilege or keeps or adds capabilities.", privilegeProblems),
    containerPolicy("pod-no-host-access", "No pod shares the node's network, PID or IPC namespace or mounts a hostPath.", (_, podSpec) => hostAccessProblems(podSpec)),
    {
        name: "prod-rollout-analysis",
        description: "Production Rollouts run at least one analysis (a canary analysis step, or blue/green pre/post-promotion analysis).",
        configSchema: {
            properties: {
                productionStacks: {
                    type: "array",
                    items: { type: "string" },
                    default: ["prod"],
                    description: "Stacks whose Rollouts are production",
                },
            },
        },
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const { productionStacks } = { productionStacks: ["prod"] as readonly string[], ...args.getConfig<Partial<RolloutPolicyConfig>>() };
            rolloutAnalysisProblems(args, productionStacks).forEach((message) => reportViolation(message));
        },
    } satisfies ResourceValidationPolicy,
    {
        name: "pr-namespace-isolation",
        description: "Every PR namespace (label rollout-stacks.io/pr) comes with a ResourceQuota and a default-deny NetworkPolicy.",
        validateStack: (args, reportViolation) => {
            prNamespaceProblems(args.resources as readonly StackResource[]).forEach(({ message, urn }) => reportViolation(message, urn));
        },
    } satisfies StackValidationPolicy,
];

/** The pack as index.ts serves it: mandatory, so a violation stops the preview or update. */
export const packArgs: PolicyPackArgs = {
    description: "rollout-stacks: pinned images, hardened containers, analysed production rollouts, isolated PR namespaces",
    enforcementLevel: "mandatory",
    policies,
};
