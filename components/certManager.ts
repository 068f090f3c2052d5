import type { IClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer";
import { CertManager as CertManagerChart, CertManagerArgs as CertManagerChartArgs } from "@pulumi/kubernetes-cert-manager";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReference, ChartSource, HelmValues, mergeValues } from "../lib/helmCharts";
import { NamedNetworkPolicy } from "../lib/platformNetworkPolicies";
import { podSecurityLabels } from "../lib/podSecurity";
import { addOnNetworkPolicies } from "./platformNetworkPolicies";

/** Let's Encrypt's production ACME directory. */
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";

/** A ClusterIssuer: self-signed, or ACME answering HTTP-01 challenges through an ingress class. */
export type ClusterIssuerArgs =
    | { readonly name: string; readonly selfSigned: true }
    | {
        readonly name: string;
        readonly acme: {
            /** The ACME account's e-mail; expiry notices go there. */
            readonly email: string;
            /** ACME directory URL. @default Let's Encrypt production */
            readonly server?: string;
            /** The ingress class that serves the challenge. @default "nginx" */
            readonly ingressClassName?: string;
        };
    };

export type ClusterIssuerSpec = IClusterIssuer["spec"];
type AcmeSolver = NonNullable<NonNullable<ClusterIssuerSpec["acme"]>["solvers"]>[number];
/** `http01.ingress.ingressClassName` is cert-manager ≥ 1.12; the CRD models package predates it. */
type Http01Ingress = NonNullable<NonNullable<AcmeSolver["http01"]>["ingress"]> & { readonly ingressClassName?: string };

export interface CertManagerInstall {
    readonly chart: ChartSource;
    /** Exact chart version (a local chart carries its own). */
    readonly version: string;
    /** Helm values laid over the component's own. @default none */
    readonly values?: HelmValues;
}

export interface CertManagerArgs {
    /** Namespace cert-manager runs in; ACME account keys are stored there. */
    readonly namespace: string;
    /** Install cert-manager here. @default not installed: cert-manager runs already */
    readonly install?: CertManagerInstall;
    /** The issuers ingresses name in `cert-manager.io/cluster-issuer`. @default none */
    readonly clusterIssuers?: readonly ClusterIssuerArgs[];
    /** The namespace's NetworkPolicies (lib/platformNetworkPolicies.ts). @default none */
    readonly networkPolicies?: readonly NamedNetworkPolicy[];
}

/**
 * Keys of the chart values `@pulumi/kubernetes-cert-manager` takes as typed arguments. It copies its
 * typed arguments over `helmOptions.values`, unset ones included, so a value under one of these keys
 * must travel as a typed argument or it is lost.
 */
const TYPED_VALUE_KEYS = [
    "affinity", "cainjector", "clusterResourceNamespace", "containerSecurityContext", "deploymentAnnotations", "extraArgs",
    "extraEnv", "extraVolumeMounts", "extraVolumes", "featureGates", "global", "http_proxy", "https_proxy", "image",
    "ingressShim", "installCRDs", "no_proxy", "nodeSelector", "podAnnotations", "podDnsConfig", "podDnsPolicy", "podLabels",
    "prometheus", "replicaCount", "resources", "securityContext", "serviceAccount", "serviceAnnotations", "serviceLabels",
    "startupapicheck", "strategy", "tolerations", "webhook",
] as const satisfies readonly (keyof CertManagerChartArgs)[];

/**
 * cert-manager, installed with `@pulumi/kubernetes-cert-manager` (a Helm release inside a component
 * provider), and the ClusterIssuers the PR and environment ingresses name.
 */
export class CertManager extends pulumi.ComponentResource {
    public readonly chart?: CertManagerChart;
    public readonly clusterIssuers: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
    /** What issues certificates: the installation and the ClusterIssuers. */
    public readonly readiness: pulumi.Resource[];

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:CertManager", name, {}, opts);
        const issuers = args.clusterIssuers ?? [];
        const names = issuers.map((issuer) => issuer.name);
        const duplicate = names.find((issuerName, index) => names.indexOf(issuerName) !== index);
        if (duplicate !== undefined) {
            throw new pulumi.ResourceError(`clusterIssuers names ${duplicate} twice; a ClusterIssuer name is cluster-wide. Rename one`, this);
        }

        let namespace: k8s.core.v1.Namespace | undefined;
        if (args.install !== undefined) {
            namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: args.namespace, labels: podSecurityLabels("restricted") },
            }, { parent: this });
            this.chart = new CertManagerChart(`${name}-chart`,
                certManagerChartArgs(args.namespace, args.install), { parent: this, dependsOn: [namespace] });
        }
        const crdsReady = this.chart === undefined ? [] : [this.chart];
        addOnNetworkPolicies(this, name, { name: args.namespace, owned: namespace }, args.networkPolicies);

        this.clusterIssuers = Object.fromEntries(issuers.map((issuer) => [issuer.name, new k8s.apiextensions.CustomResource(`${name}-${issuer.name}`, {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: issuer.name },
            spec: clusterIssuerSpec(issuer),
        }, { parent: this, dependsOn: crdsReady })]));

        this.readiness = [...crdsReady, ...Object.values(this.clusterIssuers)];
        this.registerOutputs({ clusterIssuers: names });
    }
}

/**
 * The component's arguments: our values (CRDs installed and kept, since deleting them deletes every
 * Certificate) under the user's, split between typed arguments and `helmOptions.values`.
 */
export function certManagerChartArgs(namespace: string, install: CertManagerInstall): CertManagerChartArgs {
    const values = mergeValues({ crds: { enabled: true, keep: true } }, install.values ?? {});
    const typed = Object.fromEntries(Object.entries(values).filter(([key]) => (TYPED_VALUE_KEYS as readonly string[]).includes(key)));
    const untyped = Object.fromEntries(Object.entries(values).filter(([key]) => !(TYPED_VALUE_KEYS as readonly string[]).includes(key)));
    const reference = chartReference(install.chart, install.version);
    return {
        ...(typed as CertManagerChartArgs),
        helmOptions: {
            name: "cert-manager",
            namespace,
            chart: reference.chart,
            ...(reference.version === undefined ? {} : { version: reference.version }),
            // The component fills in the jetstack repository when none is given; an empty one keeps
            // Helm on a local chart path (and OCI references carry their registry in the chart).
            repositoryOpts: { repo: reference.repositoryOpts?.repo ?? "" },
            values: untyped,
        },
    };
}

export function clusterIssuerSpec(issuer: ClusterIssuerArgs): ClusterIssuerSpec {
    if ("selfSigned" in issuer) {
        return { selfSigned: {} };
    }
    const ingress: Http01Ingress = { ingressClassName: issuer.acme.ingressClassName ?? "nginx" };
    return {
        acme: {
            email: issuer.acme.email,
            server: issuer.acme.server ?? LETS_ENCRYPT,
            privateKeySecretRef: { name: `${issuer.name}-account-key` },
            solvers: [{ http01: { ingress } }],
        },
    };
}
