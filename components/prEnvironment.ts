import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKEND_URL_ENV, BackendEndpoint, BackendKind } from "../lib/backends";
import { prIsolation } from "../lib/isolation";
import { prHost, prNamespaceName } from "../lib/naming";
import { DEFAULT_PR_READY_TIMEOUT_SECONDS, ResourceRequirements, ServiceSpec } from "../lib/service";
import { EnvironmentComponent } from "./environmentComponent";
import { IsolatedNamespace, NamespaceQuota } from "./isolatedNamespace";
import { ServiceDeployment } from "./serviceDeployment";
import { IngressTls, ServiceIngress } from "./serviceIngress";

/** A backing service shared by PR environments: where it is, and its (secret) connection URL. */
export type SharedBackend = BackendEndpoint & {
    /** Connection URL, credentials included; pass a secret. */
    readonly url: pulumi.Input<string>;
};

/** A service as a PR runs it. */
export interface PrService {
    /** The catalogue entry. */
    readonly spec: ServiceSpec;
    /** Full image reference, e.g. `ghcr.io/acme/cart-service:pr-123`. */
    readonly image: pulumi.Input<string>;
}

export interface PrEnvironmentArgs {
    /** The pull request number, a positive whole number. */
    readonly prNumber: number;
    /** Base DNS domain; the namespace and default host derive from it. */
    readonly domain: string;
    /** The Pulumi stack that owns the environment, recorded as a label. */
    readonly stackName: string;
    /** The services to run, at least one. */
    readonly services: readonly PrService[];
    /** Public host. @default `pr-<n>.<domain>` */
    readonly host?: pulumi.Input<string>;
    /** Restart trigger (RFC3339 UTC) for every Deployment. @default no restart annotation */
    readonly deployedAt?: string;
    /** false scales every Deployment to 0 and holds the restart annotation. @default true */
    readonly active?: boolean;
    /** Certificate source of the Ingress. */
    readonly tls: IngressTls;
    /** IngressClass. @default "nginx" */
    readonly ingressClassName?: pulumi.Input<string>;
    /** Namespace of the ingress controller, let in by network policy. @default "ingress-nginx" */
    readonly ingressNamespace?: pulumi.Input<string>;
    /** The namespace's ResourceQuota; required, so that no PR environment is unbounded. */
    readonly quota: NamespaceQuota;
    /** Requests and limits of containers that state none (a LimitRange); required, for the quota to count them. */
    readonly containerDefaults: ResourceRequirements;
    /** Shared MongoDB, NATS and Redis; their URLs reach pods through a Secret. @default none */
    readonly backends?: Readonly<Partial<Record<BackendKind, SharedBackend>>>;
    /** Hours the environment may idle before the reaper pauses it, recorded on the namespace. @default unset */
    readonly ttlHours?: number;
    /** How long an update waits for a service's new pods to be ready before it fails. @default 300 */
    readonly readyTimeoutSeconds?: number;
}

/** What a PR environment tells its users about one service. */
export interface PrServiceOutput {
    /** The image reference it runs. */
    readonly image: pulumi.Output<string>;
    /** `http://<service>.<namespace>.svc.cluster.local:<port>`. */
    readonly url: pulumi.Output<string>;
}

/**
 * Everything pull request `n` runs: an isolated namespace, the selected services at the PR's
 * images with per-PR isolation settings, and one HTTPS host routing a path per service.
 */
export class PrEnvironment extends EnvironmentComponent<PrServiceOutput> {
    constructor(name: string, args: PrEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:pr:PrEnvironment", name, {}, opts);
        if (!Number.isInteger(args.prNumber) || args.prNumber <= 0) {
            throw new pulumi.ResourceError(`prNumber must be a positive whole number, got ${args.prNumber}`, this);
        }
        const firstService = args.services[0];
        if (firstService === undefined) {
            throw new pulumi.ResourceError(`services is empty for PR ${args.prNumber}; select at least one service`, this);
        }
        const active = args.active ?? true;
        const host = args.host ?? prHost(args.prNumber, args.domain);
        const backends = Object.entries(args.backends ?? {}) as [BackendKind, SharedBackend][];

        const isolated = new IsolatedNamespace(`${name}-ns`, {
            name: prNamespaceName(args.prNumber, args.domain),
            labels: { "rollout-stacks.io/pr": String(args.prNumber), "rollout-stacks.io/stack": args.stackName },
            annotations: args.ttlHours === undefined ? {} : { "rollout-stacks.io/ttl-hours": String(args.ttlHours) },
            quota: args.quota,
            containerDefaults: args.containerDefaults,
            ingressNamespace: args.ingressNamespace,
            ingressPorts: args.services.map((s) => s.spec.port),
            egressTo: backends.map(([, backend]) => backend),
        }, { parent: this });
        const namespace = isolated.name;
        const inNamespace = { parent: this, deletedWith: isolated.namespace };

        const backendSecret = backends.length === 0 ? undefined : new k8s.core.v1.Secret(`${name}-backends`, {
            metadata: { name: "backends", namespace: namespace },
            type: "Opaque",
            stringData: Object.fromEntries(backends.map(([kind, backend]) => [BACKEND_URL_ENV[kind], backend.url])),
        }, inNamespace);

        const workloads = args.services.map(({ spec, image }) => {
            const isolation = Object.entries(prIsolation(args.prNumber, spec.name)).map(([key, value]) => ({ name: key, value }));
            const urls = backendSecret === undefined ? [] : backends.map(([kind]) => ({
                name: BACKEND_URL_ENV[kind],
                valueFrom: { secretKeyRef: { name: backendSecret.metadata.name, key: BACKEND_URL_ENV[kind] } },
            }));
            const workload = new ServiceDeployment(`${name}-${spec.name}`, {
                namespace: namespace,
                service: spec,
                image,
                replicas: active ? spec.replicas : 0,
                deployedAt: args.deployedAt,
                holdRestart: !active,
                readyTimeoutSeconds: args.readyTimeoutSeconds ?? DEFAULT_PR_READY_TIMEOUT_SECONDS,
                env: [...isolation, ...urls],
                labels: { "rollout-stacks.io/pr": String(args.prNumber) },
            }, inNamespace);
            return { spec, image, workload };
        });

        const ingress = new ServiceIngress(`${name}-web`, {
            namespace: namespace,
            host,
            routes: args.services.map(({ spec }) => ({ path: `/${spec.name}`, serviceName: spec.name, servicePort: spec.port })),
            tls: args.tls,
            ingressClassName: args.ingressClassName,
        }, { ...inNamespace, dependsOn: workloads.map((w) => w.workload.service) });
        const url = ingress.url;

        const lastDeployedAt = workloads[0]!.workload.restartedAt;
        const services = Object.fromEntries(workloads.map(({ spec, image, workload }) => [spec.name, { image: pulumi.output(image), url: workload.clusterUrl }]));
        this.publish({ namespace, url, active, lastDeployedAt, services });
    }
}
