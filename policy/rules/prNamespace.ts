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

/** What a PR quota must cap, each by any of the quota keys that cap it. */
const CAPPED: Readonly<Record<string, readonly string[]>> = {
    cpu: ["limits.cpu", "requests.cpu", "cpu"],
    memory: ["limits.memory", "requests.memory", "memory"],
    pods: ["pods"],
};

/** What of CPU, memory and pods a quota leaves uncapped. */
function uncapped(quota: StackResource): string[] {
    const hard = quota.props.spec?.hard ?? {};
    return Object.entries(CAPPED).filter(([, keys]) => !keys.some((key) => hard[key] !== undefined && hard[key] !== null && hard[key] !== "")).map(([what]) => what);
}

/** Peers that stand for any address: no peer list at all, or a CIDR of the whole address space. */
function anyPeer(peers: unknown): boolean {
    const list = Array.isArray(peers) ? peers as Record<string, any>[] : [];
    return list.length === 0 || list.some((peer) => ["0.0.0.0/0", "::/0"].includes(peer?.ipBlock?.cidr) && (peer.ipBlock.except ?? []).length === 0);
}

/**
 * The directions in which a NetworkPolicy lets everything through: a rule with no port list whose
 * peers are anyone. Policies add up, so one such rule undoes the default-deny beside it.
 */
function allowAllDirections(policy: StackResource): ("Ingress" | "Egress")[] {
    const spec = policy.props.spec ?? {};
    const open = (rules: unknown, peers: "from" | "to") => (Array.isArray(rules) ? rules as Record<string, any>[] : [])
        .some((rule) => (rule?.ports ?? []).length === 0 && anyPeer(rule?.[peers]));
    return [...(open(spec.ingress, "from") ? ["Ingress" as const] : []), ...(open(spec.egress, "to") ? ["Egress" as const] : [])];
}

/**
 * Every PR namespace (labelled rollout-stacks.io/pr) comes with a ResourceQuota capping CPU, memory
 * and pods, and a default-deny NetworkPolicy for ingress and egress that no other policy of the
 * namespace opens to everyone, in the same stack: a PR environment runs untrusted code next to
 * other PRs.
 */
export function prNamespaceProblems(resources: readonly StackResource[]): NamespaceProblem[] {
    const namespaces = resources.filter((r) => r.type === NAMESPACE && maybeKnown(() => r.props.metadata?.labels?.[PR_LABEL]) !== undefined);
    return namespaces.flatMap((namespace) => {
        const name = maybeKnown(() => namespace.props.metadata?.name);
        const known = typeof name === "string" ? name : undefined;
        const members = resources.filter((r) => r !== namespace && inNamespace(r, namespace, known));
        const quotas = members.filter((r) => r.type === RESOURCE_QUOTA && Object.keys(r.props.spec?.hard ?? {}).length > 0);
        const policies = members.filter((r) => r.type === NETWORK_POLICY);
        const denied = new Set(policies.flatMap((r) => [...deniedDirections(r)]));
        const label = `PR namespace ${known ?? namespace.urn}`;
        const problems: NamespaceProblem[] = [];
        if (quotas.length === 0) {
            problems.push({ urn: namespace.urn, message: `${label} has no ResourceQuota with hard limits` });
        } else {
            // Quotas add up too: together they must cap each of CPU, memory and pods.
            const stillUncapped = quotas.map(uncapped).reduce((left, right) => left.filter((what) => right.includes(what)));
            if (stillUncapped.length > 0) {
                problems.push({ urn: namespace.urn, message: `${label} has a ResourceQuota that does not cap ${stillUncapped.join(", ")}; set hard limits such as limits.cpu, limits.memory and pods` });
            }
        }
        for (const policy of policies) {
            for (const direction of allowAllDirections(policy)) {
                const policyName = maybeKnown(() => policy.props.metadata?.name) ?? policy.urn;
                problems.push({ urn: policy.urn, message: `NetworkPolicy ${String(policyName)} in ${label} allows all ${direction.toLowerCase()} traffic, which undoes the default-deny; name the peers or the ports it allows` });
            }
        }
        const missing = (["Ingress", "Egress"] as const).filter((direction) => !denied.has(direction));
        if (missing.length > 0) {
            problems.push({ urn: namespace.urn, message: `${label} has no default-deny NetworkPolicy for ${missing.join(" and ")} (podSelector {} with no rules)` });
        }
        return problems;
    });
}
