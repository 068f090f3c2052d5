import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackendEndpoint } from "../lib/backends";
import { podSecurityLabels } from "../lib/podSecurity";
import { ResourceRequirements } from "../lib/service";

/** Hard limits of the namespace's ResourceQuota, as Kubernetes quantities. */
export interface NamespaceQuota {
    /** Sum of the pods' CPU requests, e.g. `2`. */
    readonly requestsCpu: string;
    /** Sum of the pods' memory requests, e.g. `3Gi`. */
    readonly requestsMemory: string;
    /** Sum of the pods' CPU limits. */
    readonly limitsCpu: string;
    /** Sum of the pods' memory limits. */
    readonly limitsMemory: string;
    /** Pods at once, surge pods of a rolling update included. */
    readonly pods: number;
}

export interface IsolatedNamespaceArgs {
    /** The namespace's name, a DNS-1123 label. */
    readonly name: string;
    /** Labels for the namespace, besides the Pod Security Standard ones. @default none */
    readonly labels?: Readonly<Record<string, string>>;
    /** Annotations for the namespace. @default none */
    readonly annotations?: Readonly<Record<string, string>>;
    /** Pod Security Standard level enforced, audited and warned about. @default "restricted" */
    readonly podSecurity?: "restricted" | "baseline";
    /** The ResourceQuota, which also allows no load balancers and node ports. @default no ResourceQuota */
    readonly quota?: NamespaceQuota;
    /** LimitRange defaults for containers that state no resources of their own. @default no LimitRange */
    readonly containerDefaults?: ResourceRequirements;
    /** The ingress controller's namespace, allowed in on `ingressPorts`. @default "ingress-nginx" */
    readonly ingressNamespace?: pulumi.Input<string>;
    /** Container ports the ingress controller may reach. @default none (no allowance) */
    readonly ingressPorts?: readonly number[];
    /** Backing services outside the namespace that pods may reach. @default none */
    readonly egressTo?: readonly BackendEndpoint[];
    /** Other namespaces let in on some ports, e.g. Prometheus scraping metrics. @default none */
    readonly allowFrom?: readonly NamespaceAllowance[];
}

/** Pods of another namespace allowed to reach this one's pods on `ports`. */
export interface NamespaceAllowance {
    /** Names the NetworkPolicy `allow-<name>`. */
    readonly name: string;
    /** The namespace let in. */
    readonly namespace: pulumi.Input<string>;
    /** Container ports it may reach. */
    readonly ports: readonly number[];
}

/**
 * A namespace that is safe to hand to one team or pull request: Pod Security Standard labels,
 * optionally a quota and container defaults, and network policies that deny by default and then
 * allow traffic within the namespace, from the ingress controller and named namespaces, to cluster
 * DNS and to named backing services.
 *
 * Everything in it, here and in the components that use it, is created with `deletedWith: namespace`
 * (why: docs/progressive-delivery.md, "Removing an environment").
 */
export class IsolatedNamespace extends pulumi.ComponentResource {
    /** The namespace name, resolved once the Namespace exists (depend on it to order children). */
    public readonly name: pulumi.Output<string>;
    public readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: IsolatedNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:namespace:IsolatedNamespace", name, {}, opts);
        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: args.name,
                labels: { ...args.labels, ...podSecurityLabels(args.podSecurity ?? "restricted") },
                annotations: { ...args.annotations },
            },
        }, { parent: this });
        this.name = this.namespace.metadata.name;
        const parent = { parent: this, deletedWith: this.namespace };
        const metadata = (policy: string) => ({ name: policy, namespace: this.name });

        if (args.quota !== undefined) {
            new k8s.core.v1.ResourceQuota(`${name}-quota`, {
                metadata: metadata("quota"),
                spec: {
                    hard: {
                        "requests.cpu": args.quota.requestsCpu,
                        "requests.memory": args.quota.requestsMemory,
                        "limits.cpu": args.quota.limitsCpu,
                        "limits.memory": args.quota.limitsMemory,
                        pods: String(args.quota.pods),
                        "services.loadbalancers": "0",
                        "services.nodeports": "0",
                    },
                },
            }, parent);
        }

        if (args.containerDefaults !== undefined) {
            new k8s.core.v1.LimitRange(`${name}-limits`, {
                metadata: metadata("container-defaults"),
                spec: {
                    limits: [{
                        type: "Container",
                        defaultRequest: { ...args.containerDefaults.requests },
                        default: { ...args.containerDefaults.limits },
                    }],
                },
            }, parent);
        }

        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: metadata("default-deny"),
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, parent);

        new k8s.networking.v1.NetworkPolicy(`${name}-allow-same-namespace`, {
            metadata: metadata("allow-same-namespace"),
            spec: {
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: {} }] }],
                egress: [{ to: [{ podSelector: {} }] }],
            },
        }, parent);

        new k8s.networking.v1.NetworkPolicy(`${name}-allow-dns`, {
            metadata: metadata("allow-dns"),
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    }],
                    ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                }],
            },
        }, parent);

        const ingressPorts = args.ingressPorts ?? [];
        if (ingressPorts.length > 0) {
            new k8s.networking.v1.NetworkPolicy(`${name}-allow-ingress-controller`, {
                metadata: metadata("allow-ingress-controller"),
                spec: {
                    podSelector: {},
                    policyTypes: ["Ingress"],
                    ingress: [{
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.ingressNamespace ?? "ingress-nginx" } } }],
                        ports: [...new Set(ingressPorts)].map((port) => ({ protocol: "TCP", port })),
                    }],
                },
            }, parent);
        }

        for (const allowance of args.allowFrom ?? []) {
            new k8s.networking.v1.NetworkPolicy(`${name}-allow-${allowance.name}`, {
                metadata: metadata(`allow-${allowance.name}`),
                spec: {
                    podSelector: {},
                    policyTypes: ["Ingress"],
                    ingress: [{
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": allowance.namespace } } }],
                        ports: [...new Set(allowance.ports)].map((port) => ({ protocol: "TCP", port })),
                    }],
                },
            }, parent);
        }

        const egressTo = args.egressTo ?? [];
        if (egressTo.length > 0) {
            new k8s.networking.v1.NetworkPolicy(`${name}-allow-backends`, {
                metadata: metadata("allow-backends"),
                spec: {
                    podSelector: {},
                    policyTypes: ["Egress"],
                    egress: egressTo.map((endpoint) => ({
                        to: "namespace" in endpoint
                            ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": endpoint.namespace } } }]
                            : endpoint.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                        ports: [{ protocol: "TCP", port: endpoint.port }],
                    })),
                },
            }, parent);
        }

        this.registerOutputs({ name: this.name });
    }
}
