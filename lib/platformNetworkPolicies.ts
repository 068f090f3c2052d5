import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hostBlock } from "./cidr";

/**
 * The NetworkPolicies of the platform add-ons' namespaces: deny everything, then allow what each
 * add-on needs. Pod labels and ports are those of the upstream charts (argo-cd, argo-rollouts,
 * kube-prometheus-stack, cert-manager); docs/platform.md, "Network policies", says why each exists.
 */

export type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type IngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Labels = Readonly<Record<string, string>>;

/** A NetworkPolicy to create: its Kubernetes name and spec. */
export interface NamedNetworkPolicy {
    readonly name: string;
    readonly spec: NetworkPolicySpec;
}

/** Where the API server listens, as the pods' traffic reaches it (after the `kubernetes` Service's translation). */
export interface ApiServerAddresses {
    readonly cidrs: readonly string[];
    readonly ports: readonly number[];
}

/** What every add-on's policies share. */
export interface PlatformPolicyContext {
    /** The API server's addresses, known now (config) or once the cluster is read (discovery). */
    readonly apiServer: pulumi.Input<ApiServerAddresses>;
    /** Where admission webhook calls come from. */
    readonly webhookSources: pulumi.Input<readonly string[]>;
    /** The ingress controller's namespace. */
    readonly ingressNamespace: string;
    /** Prometheus' namespace; undefined when the platform runs no monitoring. */
    readonly monitoringNamespace?: string;
    /** The rollouts controller's namespace; undefined when the platform runs none. */
    readonly rolloutsNamespace?: string;
}

/** One add-on, with what only its policies need. */
export type AddOnPolicies =
    | {
        readonly addOn: "argoRollouts";
        readonly ingressController: boolean;
        /** Where the controller's notifications go (webhooks, Slack): their addresses, on any port. */
        readonly notificationServers: readonly string[];
    }
    | { readonly addOn: "argoCd"; readonly ingressController: boolean; readonly repositories: readonly string[] }
    | {
        readonly addOn: "monitoring";
        readonly ingressController: boolean;
        /** Pod ports Prometheus scrapes in other namespaces, besides the platform's own. */
        readonly scrapePorts: readonly number[];
        /** The nodes' addresses, for the kubelet, node-exporter and kube-proxy. */
        readonly nodes: readonly string[];
        /** The operator's admission webhook runs (kube-prometheus-stack installed with cert-manager). */
        readonly operatorWebhook: boolean;
    }
    | { readonly addOn: "certManager"; readonly acmeServers: readonly string[] };

export type PlatformAddOn = AddOnPolicies["addOn"];

/** Names of the objects this module makes start with it, so they never clash with an installer's own. */
export const POLICY_PREFIX = "rollout-stacks-";

export const DNS_PORT = 53;
export const COREDNS_METRICS_PORT = 9153;
/** Prometheus' HTTP API, which Grafana and the rollouts controller's analysis query. */
export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
/** The kubelet, node-exporter and kube-proxy metrics ports on the nodes' own addresses. */
export const NODE_METRICS_PORTS = [10250, 9100, 10249] as const;
/** Admission webhooks' container port in the cert-manager and kube-prometheus-stack charts. */
export const WEBHOOK_PORT = 10250;
/** git over HTTPS and SSH. */
export const GIT_PORTS = [443, 22] as const;
/** The ACME directory over HTTPS, and cert-manager's HTTP-01 self-check of the challenge URL. */
export const ACME_PORTS = [443, 80] as const;
export const HTTP01_PORT = 80;

/** Pods of the upstream charts, by the labels their charts give them whatever the release name. */
export const PODS = {
    argoCdServer: { "app.kubernetes.io/name": "argocd-server" },
    argoCdRepoServer: { "app.kubernetes.io/name": "argocd-repo-server" },
    argoCdController: { "app.kubernetes.io/name": "argocd-application-controller" },
    argoCdApplicationSet: { "app.kubernetes.io/name": "argocd-applicationset-controller" },
    argoCdNotifications: { "app.kubernetes.io/name": "argocd-notifications-controller" },
    argoCdRedis: { "app.kubernetes.io/name": "argocd-redis" },
    argoCdDex: { "app.kubernetes.io/name": "argocd-dex-server" },
    argoCdCommitServer: { "app.kubernetes.io/name": "argocd-commit-server" },
    rolloutsController: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/component": "rollouts-controller" },
    rolloutsDashboard: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/component": "rollouts-dashboard" },
    prometheus: { "app.kubernetes.io/name": "prometheus" },
    alertmanager: { "app.kubernetes.io/name": "alertmanager" },
    grafana: { "app.kubernetes.io/name": "grafana" },
    /** kube-prometheus-stack's operator, under the release name the Monitoring component installs it as. */
    prometheusOperator: { app: "kube-prometheus-stack-operator", release: "kube-prometheus-stack" },
    certManagerController: { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" },
    certManagerWebhook: { "app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook" },
    certManagerCainjector: { "app.kubernetes.io/name": "cainjector", "app.kubernetes.io/component": "cainjector" },
} as const satisfies Record<string, Labels>;

/** A pod's metrics port Prometheus scrapes. */
interface MetricsTarget {
    readonly name: string;
    readonly pods: Labels;
    readonly ports: readonly number[];
}

/** The add-ons' metrics ports, per pod (the charts' `metrics` container ports). */
export const METRICS_TARGETS: Readonly<Record<PlatformAddOn, readonly MetricsTarget[]>> = {
    argoCd: [
        { name: "application-controller", pods: PODS.argoCdController, ports: [8082] },
        { name: "server", pods: PODS.argoCdServer, ports: [8083] },
        { name: "repo-server", pods: PODS.argoCdRepoServer, ports: [8084] },
        { name: "applicationset-controller", pods: PODS.argoCdApplicationSet, ports: [8080] },
        { name: "notifications-controller", pods: PODS.argoCdNotifications, ports: [9001] },
        { name: "dex-server", pods: PODS.argoCdDex, ports: [5558] },
        { name: "commit-server", pods: PODS.argoCdCommitServer, ports: [8087] },
    ],
    argoRollouts: [{ name: "controller", pods: PODS.rolloutsController, ports: [8090] }],
    certManager: [
        { name: "controller", pods: PODS.certManagerController, ports: [9402] },
        { name: "webhook", pods: PODS.certManagerWebhook, ports: [9402] },
        { name: "cainjector", pods: PODS.certManagerCainjector, ports: [9402] },
    ],
    // Prometheus scrapes its own namespace through "scrape-in-namespace".
    monitoring: [],
};

/** Ports monitoring's own pods serve metrics on: operator, kube-state-metrics and reloaders 8080, Grafana 3000, the operator's TLS port. */
const MONITORING_METRICS_PORTS = [8080, 3000, PROMETHEUS_PORT, ALERTMANAGER_PORT, WEBHOOK_PORT] as const;

const tcp = (ports: readonly number[]) => [...new Set(ports)].map((port) => ({ protocol: "TCP", port }));
const inNamespace = (namespace: string): Labels => ({ "kubernetes.io/metadata.name": namespace });
const pods = (labels: Labels, namespace?: string): Peer => ({
    podSelector: { matchLabels: { ...labels } },
    ...(namespace === undefined ? {} : { namespaceSelector: { matchLabels: { ...inNamespace(namespace) } } }),
});
const blocks = (cidrs: readonly string[]): Peer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/** `f` applied to a value now, or once an Output resolves. */
function mapInput<T, U>(input: pulumi.Input<T>, f: (value: T) => U): pulumi.Input<U> {
    return pulumi.Output.isInstance(input) || input instanceof Promise ? pulumi.output(input).apply((value) => f(value as T)) : f(input as T);
}

function ingressPolicy(name: string, selected: Labels, rules: IngressRule[]): NamedNetworkPolicy {
    return { name, spec: { podSelector: { matchLabels: { ...selected } }, policyTypes: ["Ingress"], ingress: rules } };
}

function egressPolicy(name: string, selected: Labels, rules: pulumi.Input<EgressRule[]>): NamedNetworkPolicy {
    return { name, spec: { podSelector: { matchLabels: { ...selected } }, policyTypes: ["Egress"], egress: rules } };
}

/**
 * Egress to addresses, or no rule at all for none: a rule whose `to` is empty would allow every
 * destination.
 */
function toAddresses(cidrs: readonly string[], ports: readonly number[]): EgressRule[] {
    return cidrs.length === 0 || ports.length === 0 ? [] : [{ to: blocks(cidrs), ports: tcp(ports) }];
}

/** What every platform namespace gets: deny all, cluster DNS, the API server. */
function basePolicies(context: PlatformPolicyContext): NamedNetworkPolicy[] {
    return [
        { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        egressPolicy("allow-dns", {}, [{
            to: [pods({ "k8s-app": "kube-dns" }, "kube-system")],
            ports: [{ protocol: "UDP", port: DNS_PORT }, { protocol: "TCP", port: DNS_PORT }],
        }]),
        // Every pod: nearly all are controllers, and the API server authorizes each by its service account.
        egressPolicy("allow-kube-api", {}, mapInput(context.apiServer, (api) => toAddresses(api.cidrs, api.ports))),
    ];
}

/** Prometheus in the monitoring namespace may scrape each metrics port. */
function scrapedBy(context: PlatformPolicyContext, targets: readonly MetricsTarget[]): NamedNetworkPolicy[] {
    const { monitoringNamespace } = context;
    return monitoringNamespace === undefined ? [] : targets.map((target) => ingressPolicy(`allow-prometheus-${target.name}`, target.pods, [{
        from: [pods(PODS.prometheus, monitoringNamespace)],
        ports: tcp(target.ports),
    }]));
}

function fromIngressController(context: PlatformPolicyContext, on: boolean, selected: Labels, port: number): NamedNetworkPolicy[] {
    return on ? [ingressPolicy("allow-ingress-controller", selected, [{
        from: [{ namespaceSelector: { matchLabels: { ...inNamespace(context.ingressNamespace) } } }],
        ports: tcp([port]),
    }])] : [];
}

/** Pods of the namespace may send to each other; each pod's ingress policy says who it accepts. */
const egressInNamespace = (): NamedNetworkPolicy => egressPolicy("allow-egress-in-namespace", {}, [{ to: [{ podSelector: {} }] }]);

function webhookFrom(context: PlatformPolicyContext, selected: Labels): NamedNetworkPolicy {
    return {
        name: "allow-webhook",
        spec: {
            podSelector: { matchLabels: { ...selected } },
            policyTypes: ["Ingress"],
            ingress: mapInput(context.webhookSources, (cidrs) => cidrs.length === 0 ? [] : [{ from: blocks(cidrs), ports: tcp([WEBHOOK_PORT]) }]),
        },
    };
}

function argoCdPolicies(context: PlatformPolicyContext, config: Extract<AddOnPolicies, { addOn: "argoCd" }>): NamedNetworkPolicy[] {
    const from = (...selected: Labels[]) => selected.map((labels) => pods(labels));
    return [
        egressInNamespace(),
        ingressPolicy("allow-repo-server", PODS.argoCdRepoServer, [{
            from: from(PODS.argoCdServer, PODS.argoCdController, PODS.argoCdApplicationSet, PODS.argoCdNotifications),
            ports: tcp([8081]),
        }]),
        ingressPolicy("allow-redis", PODS.argoCdRedis, [{ from: from(PODS.argoCdServer, PODS.argoCdRepoServer, PODS.argoCdController), ports: tcp([6379]) }]),
        ingressPolicy("allow-dex", PODS.argoCdDex, [{ from: from(PODS.argoCdServer), ports: tcp([5556, 5557]) }]),
        ingressPolicy("allow-commit-server", PODS.argoCdCommitServer, [{ from: from(PODS.argoCdController), ports: tcp([8086]) }]),
        ...config.repositories.length === 0 ? [] : [egressPolicy("allow-git", PODS.argoCdRepoServer, toAddresses(config.repositories, GIT_PORTS))],
        ...fromIngressController(context, config.ingressController, PODS.argoCdServer, 8080),
        ...scrapedBy(context, METRICS_TARGETS.argoCd),
    ];
}

function argoRolloutsPolicies(context: PlatformPolicyContext, config: Extract<AddOnPolicies, { addOn: "argoRollouts" }>): NamedNetworkPolicy[] {
    const { monitoringNamespace } = context;
    return [
        ...monitoringNamespace === undefined ? [] : [egressPolicy("allow-analysis-queries", PODS.rolloutsController, [{
            to: [pods(PODS.prometheus, monitoringNamespace)],
            ports: tcp([PROMETHEUS_PORT]),
        }])],
        ...fromIngressController(context, config.ingressController, PODS.rolloutsDashboard, 3100),
        ...scrapedBy(context, METRICS_TARGETS.argoRollouts),
        // A webhook's port is part of its (secret) URL: the addresses are the bound here.
        ...config.notificationServers.length === 0 ? [] : [egressPolicy("allow-notifications", PODS.rolloutsController, [{ to: blocks(config.notificationServers) }])],
    ];
}

function monitoringPolicies(context: PlatformPolicyContext, config: Extract<AddOnPolicies, { addOn: "monitoring" }>): NamedNetworkPolicy[] {
    const platformPorts = Object.values(METRICS_TARGETS).flatMap((targets) => targets.flatMap((t) => t.ports));
    const scrapePorts = [...new Set([...platformPorts, COREDNS_METRICS_PORT, ...config.scrapePorts])].sort((a, b) => a - b);
    return [
        egressInNamespace(),
        ingressPolicy("allow-scrape-in-namespace", {}, [{ from: [pods(PODS.prometheus)], ports: tcp(MONITORING_METRICS_PORTS) }]),
        ingressPolicy("allow-grafana-to-prometheus", PODS.prometheus, [{ from: [pods(PODS.grafana)], ports: tcp([PROMETHEUS_PORT]) }]),
        ingressPolicy("allow-alerts", PODS.alertmanager, [{ from: [pods(PODS.grafana), pods(PODS.prometheus)], ports: tcp([ALERTMANAGER_PORT]) }]),
        egressPolicy("allow-scrape", PODS.prometheus, [
            { to: [{ namespaceSelector: {} }], ports: tcp(scrapePorts) },
            ...toAddresses(config.nodes, NODE_METRICS_PORTS),
        ]),
        ...context.rolloutsNamespace === undefined ? [] : [ingressPolicy("allow-analysis-queries", PODS.prometheus, [{
            from: [pods(PODS.rolloutsController, context.rolloutsNamespace)],
            ports: tcp([PROMETHEUS_PORT]),
        }])],
        ...config.operatorWebhook ? [webhookFrom(context, PODS.prometheusOperator)] : [],
        ...fromIngressController(context, config.ingressController, PODS.grafana, 3000),
    ];
}

function certManagerPolicies(context: PlatformPolicyContext, config: Extract<AddOnPolicies, { addOn: "certManager" }>): NamedNetworkPolicy[] {
    return [
        webhookFrom(context, PODS.certManagerWebhook),
        ...config.acmeServers.length === 0 ? [] : [egressPolicy("allow-acme", PODS.certManagerController, [
            ...toAddresses(config.acmeServers, ACME_PORTS),
            // The self-check of an HTTP-01 challenge, when kube-proxy sends the public address straight to the ingress controller.
            { to: [{ namespaceSelector: { matchLabels: { ...inNamespace(context.ingressNamespace) } } }], ports: tcp([HTTP01_PORT]) },
        ])],
        ...scrapedBy(context, METRICS_TARGETS.certManager),
    ];
}

/** The policies of one add-on's namespace, names prefixed with {@link POLICY_PREFIX}. */
export function platformNetworkPolicies(context: PlatformPolicyContext, config: AddOnPolicies): NamedNetworkPolicy[] {
    const own = config.addOn === "argoCd" ? argoCdPolicies(context, config)
        : config.addOn === "argoRollouts" ? argoRolloutsPolicies(context, config)
            : config.addOn === "monitoring" ? monitoringPolicies(context, config)
                : certManagerPolicies(context, config);
    return [...basePolicies(context), ...own].map((policy) => ({ ...policy, name: `${POLICY_PREFIX}${policy.name}` }));
}

/** A `default/kubernetes` EndpointSlice's endpoints and ports, as the API server publishes them. */
export interface ApiServerSlice {
    readonly endpoints?: readonly { readonly addresses: readonly string[]; readonly conditions?: { readonly ready?: boolean } }[];
    readonly ports?: readonly { readonly port?: number }[];
}

/** The addresses and ports in the API server's EndpointSlice: each address as a single-address block. */
export function apiServerAddresses(slice: ApiServerSlice): ApiServerAddresses {
    const cidrs = (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false)
        .flatMap((endpoint) => endpoint.addresses.flatMap((address) => hostBlock(address) ?? []));
    const ports = (slice.ports ?? []).flatMap((port) => (port.port === undefined ? [] : [port.port]));
    return { cidrs: [...new Set(cidrs)], ports: [...new Set(ports)] };
}
