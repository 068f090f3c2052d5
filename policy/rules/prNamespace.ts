import { maybeKnown, PolicyInput } from "./resource";

export const PR_LABEL = "rollout-stacks.io/pr";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** A resource in a stack, with what it depends on (as @pulumi/policy's PolicyResource has it). */
export interface StackResource extends PolicyInput {
    readonly propertyDependencies?: Readonly<Record<string, readonly { readonly urn: string }[]>>;
}

export interface NamespaceProblem {
    readonly urn: string;
    readonly message: string;
}

/**
 * True when `resource` lives in `namespace`: its metadata.namespace names it, or (in a preview,
 * before names are known) its metadata is computed from the Namespace resource.
 */
function inNamespace(resource: StackResource, namespace: StackResource, name: string | undefined): boolean {
    const own = maybeKnown(() => resource.props.metadata?.namespace);
    if (typeof own === "string" && name !== undefined) {
        return own === name;
    }
    return (resource.propertyDependencies?.metadata ?? []).some((dependency) => dependency.urn === namespace.urn);
}

/** An empty pod selector: the policy applies to every pod of the namespace. */
function selectsAllPods(selector: any): boolean {
    return selector !== undefined && selector !== null && Object.keys(selector.matchLabels ?? {}).length === 0 &&
        (selector.matchExpressions ?? []).length === 0;
}

/** The directions a NetworkPolicy denies outright: it covers them and allows nothing in them. */
function deniedDirections(policy: StackResource): Set<"Ingress" | "Egress"> {
    const spec = policy.props.spec ?? {};
    const denied = new Set<"Ingress" | "Egress">();
    if (!selectsAllPods(spec.podSelector)) {
        return denied;
    }
    const types: string[] = spec.policyTypes ?? (spec.egress !== undefined ? ["Ingress", "Egress"] : ["Ingress"]);
    if (types.includes("Ingress") && (spec.ingress ?? []).length === 0) {
        denied.add("Ingress");
    }
    if (types.includes("Egress") && (spec.egress ?? []).length === 0) {
        denied.add("Egress");
    }
    return denied;
}

/**
 * Every PR namespace (labelled rollout-stacks.io/pr) comes with a ResourceQuota and a default-deny
 * NetworkPolicy for ingress and egress, in the same stack: a PR environment runs untrusted code
 * next to other PRs.
 */
export function prNamespaceProblems(resources: readonly StackResource[]): NamespaceProblem[] {
    const namespaces = resources.filter((r) => r.type === NAMESPACE && maybeKnown(() => r.props.metadata?.labels?.[PR_LABEL]) !== undefined);
    return namespaces.flatMap((namespace) => {
        const name = maybeKnown(() => namespace.props.metadata?.name);
        const known = typeof name === "string" ? name : undefined;
        const members = resources.filter((r) => r !== namespace && inNamespace(r, namespace, known));
        const quotas = members.filter((r) => r.type === RESOURCE_QUOTA && Object.keys(r.props.spec?.hard ?? {}).length > 0);
        const denied = new Set(members.filter((r) => r.type === NETWORK_POLICY).flatMap((r) => [...deniedDirections(r)]));
        const label = `PR namespace ${known ?? namespace.urn}`;
        const problems: NamespaceProblem[] = [];
        if (quotas.length === 0) {
            problems.push({ urn: namespace.urn, message: `${label} has no ResourceQuota with hard limits` });
        }
        const missing = (["Ingress", "Egress"] as const).filter((direction) => !denied.has(direction));
        if (missing.length > 0) {
            problems.push({ urn: namespace.urn, message: `${label} has no default-deny NetworkPolicy for ${missing.join(" and ")} (podSelector {} with no rules)` });
        }
        return problems;
    });
}
