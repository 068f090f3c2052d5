import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NamedNetworkPolicy } from "../lib/platformNetworkPolicies";

export interface PlatformNetworkPoliciesArgs {
    /** The add-on's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** The policies, as `platformNetworkPolicies` in lib/platformNetworkPolicies.ts builds them. */
    readonly policies: readonly NamedNetworkPolicy[];
}

/**
 * One add-on namespace's NetworkPolicies. Where the stack owns the namespace, construct it with
 * `deletedWith` the Namespace: its policies are then deleted with it, not one by one.
 */
export class PlatformNetworkPolicies extends pulumi.ComponentResource {
    /** The NetworkPolicies by Kubernetes name. */
    public readonly policies: Readonly<Record<string, k8s.networking.v1.NetworkPolicy>>;

    constructor(name: string, args: PlatformNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:NetworkPolicies", name, {}, opts);
        const names = args.policies.map((policy) => policy.name);
        const duplicate = names.find((policyName, index) => names.indexOf(policyName) !== index);
        if (duplicate !== undefined) {
            throw new pulumi.ResourceError(`policies names ${duplicate} twice; they would be one NetworkPolicy. Rename one`, this);
        }
        const children = { parent: this, ...(opts?.deletedWith === undefined ? {} : { deletedWith: opts.deletedWith }) };
        this.policies = Object.fromEntries(args.policies.map((policy) => [policy.name, new k8s.networking.v1.NetworkPolicy(`${name}-${policy.name}`, {
            metadata: { name: policy.name, namespace: args.namespace },
            spec: policy.spec,
        }, children)]));
        this.registerOutputs({ policies: names });
    }
}

/**
 * An add-on component's policies, when it has any: in its namespace, deleted with that Namespace
 * when the component created it.
 */
export function addOnNetworkPolicies(
    parent: pulumi.Resource,
    name: string,
    namespace: { readonly name: string; readonly owned?: k8s.core.v1.Namespace },
    policies: readonly NamedNetworkPolicy[] | undefined,
): PlatformNetworkPolicies | undefined {
    if (policies === undefined) {
        return undefined;
    }
    const { owned } = namespace;
    return new PlatformNetworkPolicies(`${name}-network-policies`, { namespace: owned?.metadata.name ?? namespace.name, policies },
        { parent, ...(owned === undefined ? {} : { deletedWith: owned }) });
}
