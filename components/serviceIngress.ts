import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { tlsSecretNameFor } from "../lib/naming";

/** How an Ingress gets its certificate: issued by a cert-manager ClusterIssuer, or an existing TLS Secret. */
export type IngressTls =
    | { readonly clusterIssuer: pulumi.Input<string> }
    | { readonly secretName: pulumi.Input<string> };

/** One path of the host, served by one Service. */
export interface IngressRoute {
    /** Path prefix, e.g. `/cart-service`. */
    readonly path: string;
    /** Name of the Service in the Ingress's namespace. */
    readonly serviceName: pulumi.Input<string>;
    /** Port of that Service. */
    readonly servicePort: pulumi.Input<number>;
}

export interface ServiceIngressArgs {
    /** Name of the Ingress object. @default "web" */
    readonly name?: string;
    /** Namespace of the Ingress and of the Services it routes to. */
    readonly namespace: pulumi.Input<string>;
    /** Public DNS name, e.g. `pr-123.shop.pilab.hu`. */
    readonly host: pulumi.Input<string>;
    /** The paths of the host, at least one. */
    readonly routes: readonly IngressRoute[];
    /** Certificate source. */
    readonly tls: IngressTls;
    /** IngressClass that serves it. @default "nginx" */
    readonly ingressClassName?: pulumi.Input<string>;
}

/** An HTTPS Ingress for one host routing a path prefix per Service. */
export class ServiceIngress extends pulumi.ComponentResource {
    public readonly ingress: k8s.networking.v1.Ingress;
    /** `https://<host>`. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: ServiceIngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:ingress:ServiceIngress", name, {}, opts);
        if (args.routes.length === 0) {
            throw new pulumi.ResourceError("routes is empty; give at least one path and the Service that serves it", this);
        }
        const issued = "clusterIssuer" in args.tls;
        this.ingress = new k8s.networking.v1.Ingress(`${name}-ingress`, {
            metadata: {
                name: args.name ?? "web",
                namespace: args.namespace,
                annotations: {
                    // The load-balancer address is the ingress controller's to publish and the URL
                    // does not depend on it; waiting for it would hold every up for the provider's
                    // 10-minute timeout on a cluster without a controller (a fresh or local one).
                    "pulumi.com/skipAwait": "true",
                    ...(issued ? { "cert-manager.io/cluster-issuer": args.tls.clusterIssuer } : {}),
                },
            },
            spec: {
                ingressClassName: args.ingressClassName ?? "nginx",
                tls: [{ hosts: [args.host], secretName: issued ? pulumi.output(args.host).apply(tlsSecretNameFor) : args.tls.secretName }],
                rules: [{
                    host: args.host,
                    http: {
                        paths: args.routes.map((route) => ({
                            path: route.path,
                            pathType: "Prefix",
                            backend: { service: { name: route.serviceName, port: { number: route.servicePort } } },
                        })),
                    },
                }],
            },
        }, { parent: this });
        this.url = pulumi.interpolate`https://${args.host}`;
        this.registerOutputs({ url: this.url });
    }
}
