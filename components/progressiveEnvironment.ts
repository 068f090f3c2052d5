import * as pulumi from "@pulumi/pulumi";
import { tlsSecretNameFor } from "../lib/naming";
import { NotificationSubscription } from "../lib/notifications";
import { withHealthyImage } from "../lib/promotionGate";
import { DeliveryStrategy } from "../lib/rolloutStrategy";
import { ServiceSpec } from "../lib/service";
import { AnalysisTemplates, AnalysisTemplatesArgs } from "./analysisTemplates";
import { EnvironmentComponent } from "./environmentComponent";
import { IsolatedNamespace } from "./isolatedNamespace";
import { ProgressiveService, RestartStrategy } from "./progressiveService";
import { IngressTls } from "./serviceIngress";

/** A service as a long-lived environment runs it. */
export interface EnvironmentService {
    /** The catalogue entry. */
    readonly spec: ServiceSpec;
    /** Full image reference, tag or digest included. */
    readonly image: pulumi.Input<string>;
    /** Replicas while the environment is active. @default the catalogue's `replicas` */
    readonly replicas?: number;
    /** The image it ran before `image`, which notifications name. @default unnamed */
    readonly previousImage?: pulumi.Input<string>;
    /** The images it has run Healthy before this update, newest last (the stack's last record). @default none */
    readonly healthyImages?: pulumi.Input<readonly string[]>;
}

export interface ProgressiveEnvironmentArgs {
    /** The environment's name, e.g. `prod`: the namespace created for it and its `rollout-stacks.io/environment` label. */
    readonly name: string;
    /** The services to run, at least one, each as an Argo Rollout. */
    readonly services: readonly EnvironmentService[];
    /** Canary or blue/green for every service. */
    readonly strategy: DeliveryStrategy;
    /** Prometheus and thresholds of the `success-rate` and `latency-p99` AnalysisTemplates. */
    readonly analysis: Omit<AnalysisTemplatesArgs, "namespace">;
    /** Public host; each service is served under `/<service>`. */
    readonly host: pulumi.Input<string>;
    /**
     * Certificate of the host. A ClusterIssuer's certificate is requested once, by the first
     * service's Ingress, and the others serve the Secret it is stored in.
     */
    readonly tls: IngressTls;
    /** Restart trigger (RFC3339 UTC) for every Rollout. @default no restart */
    readonly deployedAt?: string;
    /** Where `deployedAt` goes. @default "template" (restarts walk the strategy) */
    readonly restartStrategy?: RestartStrategy;
    /** false scales every Rollout to 0 and holds the restart. @default true */
    readonly active?: boolean;
    /** IngressClass. @default "nginx" */
    readonly ingressClassName?: pulumi.Input<string>;
    /** Namespace of the ingress controller, let in by network policy. @default "ingress-nginx" */
    readonly ingressNamespace?: pulumi.Input<string>;
    /** Namespace of the Prometheus that scrapes the services, let in by network policy. @default "monitoring" */
    readonly monitoringNamespace?: pulumi.Input<string>;
    /** Every Rollout's progress deadline and whether missing it aborts the release. @default the controller's 600 s, no abort */
    readonly progressDeadline?: { readonly seconds: number; readonly abort: boolean };
    /** A rollback to one of the last this many revisions skips steps and analysis. @default off */
    readonly rollbackWindow?: number;
    /** Notification triggers every Rollout subscribes to. @default none */
    readonly notifications?: readonly NotificationSubscription[];
}

/** What a long-lived environment tells its users about one service. */
export interface EnvironmentServiceOutput {
    /** The image reference it runs. */
    readonly image: pulumi.Output<string>;
    /** The Rollout's name: the service's. */
    readonly rollout: string;
    /** `https://<host>/<service>`. */
    readonly url: pulumi.Output<string>;
    /** `http://<service>.<namespace>.svc.cluster.local:<port>`. */
    readonly clusterUrl: pulumi.Output<string>;
    /** In-cluster URL of the new revision alone (canary, or blue/green preview). */
    readonly previewUrl: pulumi.Output<string>;
    /** The images it has run Healthy, newest last: the record the promotion gate reads (lib/promotionGate.ts). */
    readonly healthyImages: pulumi.Output<string[]>;
}

/**
 * A long-lived environment such as dev or prod: an isolated namespace, the AnalysisTemplates its
 * strategy refers to, and one ProgressiveService (an Argo Rollout with its Services, Ingress and
 * ServiceMonitor) per service, all deleted with the namespace.
 *
 * `dependsOn` of the options is passed on to every child: the Rollouts CRDs and controller, the
 * monitoring CRDs and the ClusterIssuers must exist before any of them.
 */
export class ProgressiveEnvironment extends EnvironmentComponent<EnvironmentServiceOutput> {
    constructor(name: string, args: ProgressiveEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:environment:ProgressiveEnvironment", name, {}, opts);
        if (args.services.length === 0) {
            throw new pulumi.ResourceError(`services is empty for environment ${args.name}; give at least one service`, this);
        }
        const active = args.active ?? true;
        const after = opts?.dependsOn;
        const envLabels = { "rollout-stacks.io/environment": args.name };
        const ports = [...new Set(args.services.map(({ spec }) => spec.port))];
        // These children were registered at the stack's root before this component existed: the
        // alias keeps their URNs (and their descendants'), so that existing stacks update in place.
        const moved = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };

        const isolated = new IsolatedNamespace(`${name}-ns`, {
            name: args.name,
            labels: envLabels,
            ingressNamespace: args.ingressNamespace,
            ingressPorts: ports,
            allowFrom: [{ name: "monitoring", namespace: args.monitoringNamespace ?? "monitoring", ports }],
        }, { ...moved, dependsOn: after });
        const namespace = isolated.name;

        // Deleted with the namespace, not one by one: see IsolatedNamespace.
        const inNamespace = { ...moved, deletedWith: isolated.namespace };
        const templates = new AnalysisTemplates(`${name}-analysis`, {
            namespace: namespace,
            ...args.analysis,
        }, { ...inNamespace, dependsOn: after });

        const workloads = args.services.map(({ spec, image, replicas, previousImage, healthyImages }, index) => {
            const workload = new ProgressiveService(`${name}-${spec.name}`, {
                namespace: namespace,
                service: spec,
                image,
                replicas: active ? (replicas ?? spec.replicas) : 0,
                deployedAt: args.deployedAt,
                holdRestart: !active,
                restartStrategy: args.restartStrategy,
                strategy: args.strategy,
                labels: envLabels,
                host: args.host,
                tls: index === 0 || !("clusterIssuer" in args.tls) ? args.tls : { secretName: pulumi.output(args.host).apply(tlsSecretNameFor) },
                ingressClassName: args.ingressClassName,
                progressDeadline: args.progressDeadline,
                rollbackWindow: args.rollbackWindow,
                notifications: args.notifications,
                previousImage,
            }, { ...inNamespace, dependsOn: withDependency(after, templates) });
            return { spec, image, previousImage, healthyImages, workload };
        });

        const url = pulumi.interpolate`https://${args.host}`;
        const lastDeployedAt = workloads[0]!.workload.restartedAt;
        const services = Object.fromEntries(workloads.map(({ spec, image, previousImage, healthyImages, workload }) => [spec.name, {
            image: pulumi.output(image),
            // Read back by the next update (stacks/environment.ts): what notifications call the old image.
            previousImage: pulumi.output(previousImage ?? ""),
            rollout: workload.rolloutName,
            url: workload.url,
            clusterUrl: workload.clusterUrl,
            previewUrl: workload.previewUrl,
            healthyImages: pulumi.all([healthyImages ?? [], workload.healthyImage])
                .apply(([recorded, healthy]) => withHealthyImage(recorded, healthy ?? undefined)),
        }]));
        this.publish({ namespace, url, active, lastDeployedAt, services });
    }
}

/** `dependsOn` as the options give it, plus one more resource. */
function withDependency(dependsOn: pulumi.ResourceOptions["dependsOn"], resource: pulumi.Resource): pulumi.ResourceOptions["dependsOn"] {
    if (dependsOn === undefined) {
        return [resource];
    }
    if (Array.isArray(dependsOn)) {
        return [...dependsOn, resource];
    }
    return pulumi.output(dependsOn as pulumi.Input<pulumi.Input<pulumi.Resource>[] | pulumi.Resource>)
        .apply((given) => [...(Array.isArray(given) ? given : [given]), resource]);
}
