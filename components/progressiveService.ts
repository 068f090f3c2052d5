import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARGO_API_VERSION, RolloutSpec } from "../lib/argoTypes";
import { NotificationSubscription, PREVIOUS_IMAGE_ANNOTATION, subscriptionAnnotations } from "../lib/notifications";
import { healthyImageOf } from "../lib/promotionGate";
import { canonicalQuantity } from "../lib/quantity";
import { clusterServiceHost } from "../lib/naming";
import { PodTemplateArgs, securePodTemplate } from "../lib/podTemplate";
import { RESTARTED_AT_ANNOTATION, RESTARTED_AT_PATH } from "../lib/restart";
import {
    DeliveryStrategy, ingressBackend, POD_TEMPLATE_HASH_LABEL, rolloutServiceNames, rolloutStrategy,
} from "../lib/rolloutStrategy";
import { ComputeResources, selectorLabels, SERVICE_NAME_LABEL, serviceLabels, ServiceSpec } from "../lib/service";
import { IngressTls, ServiceIngress } from "./serviceIngress";

/**
 * How a new `deployedAt` restarts a Rollout's pods: `template` as a new revision that walks the
 * strategy, `restartAt` in place with no steps and no analysis (docs/progressive-delivery.md,
 * "Restarts").
 */
export type RestartStrategy = "template" | "restartAt";

/** The Pulumi property path each restart strategy writes `deployedAt` to. */
const RESTART_PATHS: Readonly<Record<RestartStrategy, string>> = { template: RESTARTED_AT_PATH, restartAt: "spec.restartAt" };

/** The label that marks the one Service per service Prometheus scrapes, so no pod is scraped twice. */
const SCRAPE_LABEL = "rollout-stacks.io/scrape";

export interface ProgressiveServiceArgs extends PodTemplateArgs {
    /** Namespace of the Rollout and everything around it. */
    readonly namespace: pulumi.Input<string>;
    /** Canary or blue/green, as lib/rolloutStrategy.ts describes it; decides which Services exist. */
    readonly strategy: DeliveryStrategy;
    /** Replica count. @default the catalogue's `replicas` */
    readonly replicas?: number;
    /** Where `deployedAt` goes. @default "template" (restarts walk the strategy) */
    readonly restartStrategy?: RestartStrategy;
    /** Keep the restart field as it was at the last update, whatever `deployedAt` says now (a paused environment). @default false */
    readonly holdRestart?: boolean;
    /** Old ReplicaSets kept for `kubectl argo rollouts undo` and the dashboard's history. @default 5 */
    readonly revisionHistoryLimit?: number;
    /** Public host; the service is served under `/<service>`. */
    readonly host: pulumi.Input<string>;
    /** Certificate source of the Ingress. */
    readonly tls: IngressTls;
    /** IngressClass. @default "nginx" */
    readonly ingressClassName?: pulumi.Input<string>;
    /** Path of the app's Prometheus metrics on its http port. @default "/metrics" */
    readonly metricsPath?: string;
    /**
     * How long a release may go without progress (new pods becoming ready) before the controller
     * marks it Degraded, and whether it then aborts. @default the controller's 600 s, no abort
     */
    readonly progressDeadline?: { readonly seconds: number; readonly abort: boolean };
    /** A rollback to one of the last this many revisions skips steps and analysis; at most `revisionHistoryLimit`. @default off */
    readonly rollbackWindow?: number;
    /** Notification triggers the Rollout subscribes to (lib/notifications.ts). @default none */
    readonly notifications?: readonly NotificationSubscription[];
    /** The image the service ran before `image`, which notifications name. @default unnamed */
    readonly previousImage?: pulumi.Input<string>;
}

/** A Rollout spec as Pulumi takes it: the model's fields, with a pod template whose values may be outputs. */
type RolloutSpecInput = Omit<RolloutSpec, "template"> & { readonly template: k8s.types.input.core.v1.PodTemplateSpec };

/** A Rollout read back from the cluster: the keys asked for are its outputs. */
interface LiveRolloutOutputs {
    readonly spec: pulumi.Output<unknown>;
    readonly status: pulumi.Output<unknown>;
}

/** The Rollout's spec as the provider reports it back (CustomResource exposes every input key as an output). */
interface RolloutOutputs {
    readonly spec: pulumi.Output<RolloutSpec>;
}

/**
 * One service of the catalogue as an Argo Rollout, with the Services its strategy needs, a public
 * Ingress under `/<service>` and a ServiceMonitor for its metrics. The Rollout and the Service
 * clients call are named after the service, so `kubectl argo rollouts get rollout <service>` finds it.
 *
 * What the rollouts controller owns is left to it (docs/progressive-delivery.md, "What Pulumi
 * leaves to the controller").
 */
export class ProgressiveService extends pulumi.ComponentResource {
    public readonly rollout: k8s.apiextensions.CustomResource;
    /** The Rollout's name: the service's. */
    public readonly rolloutName: string;
    public readonly services: Readonly<Record<string, k8s.core.v1.Service>>;
    public readonly serviceMonitor: k8s.apiextensions.CustomResource;
    /** `https://<host>/<service>`. */
    public readonly url: pulumi.Output<string>;
    /** `http://<service>.<namespace>.svc.cluster.local:<port>`: what other services call. */
    public readonly clusterUrl: pulumi.Output<string>;
    /** In-cluster URL of the Service in front of the new revision alone (canary, or blue/green preview). */
    public readonly previewUrl: pulumi.Output<string>;
    /** The restart value the live Rollout carries: what a restart actually applied. */
    public readonly restartedAt: pulumi.Output<string | null>;
    /**
     * The image the Rollout runs Healthy as the cluster says when this update reads it back, or
     * null while it is anything else (a release under way, paused, Degraded, or not yet created).
     * The promotion gate's record (lib/promotionGate.ts).
     */
    public readonly healthyImage: pulumi.Output<string | null>;

    constructor(name: string, args: ProgressiveServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:workload:ProgressiveService", name, {}, opts);
        const spec = canonicalResources(args.service, this);
        const replicas = args.replicas ?? spec.replicas;
        if (!Number.isInteger(replicas) || replicas < 0) {
            throw new pulumi.ResourceError(`replicas must be a whole number of at least 0, got ${replicas}; pass 0 to pause the service`, this);
        }
        const revisionHistoryLimit = args.revisionHistoryLimit ?? 5;
        if (!Number.isInteger(revisionHistoryLimit) || revisionHistoryLimit < 0) {
            throw new pulumi.ResourceError(`revisionHistoryLimit must be a whole number of at least 0, got ${revisionHistoryLimit}`, this);
        }
        const { progressDeadline, rollbackWindow } = args;
        if (progressDeadline !== undefined && (!Number.isInteger(progressDeadline.seconds) || progressDeadline.seconds < 1)) {
            throw new pulumi.ResourceError(`progressDeadline.seconds must be a whole number of at least 1, got ${progressDeadline.seconds}`, this);
        }
        if (rollbackWindow !== undefined && (!Number.isInteger(rollbackWindow) || rollbackWindow < 1 || rollbackWindow > revisionHistoryLimit)) {
            throw new pulumi.ResourceError(`rollbackWindow must be a whole number from 1 to revisionHistoryLimit (${revisionHistoryLimit}), got ${rollbackWindow}; ` +
                "a rollback skips steps only to a ReplicaSet the Rollout still keeps", this);
        }
        const restartStrategy = args.restartStrategy ?? "template";
        const names = rolloutServiceNames(spec.name, args.strategy);
        const labels = serviceLabels(spec.name, args.labels);
        const ports = [{ name: "http", port: spec.port, targetPort: "http", protocol: "TCP" }];

        const service = (role: string, serviceName: string, kind: "plain" | "controller-owned" | "headless") =>
            new k8s.core.v1.Service(`${name}-${role}`, {
                metadata: { name: serviceName, namespace: args.namespace, labels: kind === "headless" ? { ...labels, [SCRAPE_LABEL]: "true" } : labels },
                spec: {
                    type: "ClusterIP",
                    ...(kind === "headless" ? { clusterIP: "None" } : {}),
                    selector: selectorLabels(spec.name),
                    ports,
                },
            }, {
                parent: this,
                // The controller adds rollouts-pod-template-hash to these selectors; a Service selector
                // is replaced as a whole, so re-applying ours would point it at every ReplicaSet again.
                ignoreChanges: kind === "controller-owned" ? ["spec.selector"] : [],
            });
        // The Service named after the service keeps one child name whatever the strategy, so that
        // switching strategy updates it in place rather than creating a second Service of that name.
        this.services = names.kind === "canary"
            ? {
                [names.root]: service("service", names.root, "plain"),
                [names.stable]: service("stable", names.stable, "controller-owned"),
                [names.canary]: service("canary", names.canary, "controller-owned"),
                [names.metrics]: service("metrics", names.metrics, "headless"),
            }
            : {
                [names.active]: service("service", names.active, "controller-owned"),
                [names.preview]: service("preview", names.preview, "controller-owned"),
                [names.metrics]: service("metrics", names.metrics, "headless"),
            };
        const services = Object.values(this.services);

        const rolloutSpec: RolloutSpecInput = {
            replicas,
            revisionHistoryLimit,
            selector: { matchLabels: selectorLabels(spec.name) },
            template: securePodTemplate({
                service: spec,
                image: args.image,
                imagePullPolicy: args.imagePullPolicy,
                env: args.env,
                labels: args.labels,
                deployedAt: restartStrategy === "template" ? args.deployedAt : undefined,
            }),
            strategy: rolloutStrategy(spec.name, args.strategy),
            ...(restartStrategy === "restartAt" && args.deployedAt !== undefined ? { restartAt: args.deployedAt } : {}),
            ...(progressDeadline === undefined
                ? {}
                : { progressDeadlineSeconds: progressDeadline.seconds, ...(progressDeadline.abort ? { progressDeadlineAbort: true } : {}) }),
            ...(rollbackWindow === undefined ? {} : { rollbackWindow: { revisions: rollbackWindow } }),
        };
        this.rollout = new k8s.apiextensions.CustomResource(`${name}-rollout`, {
            apiVersion: ARGO_API_VERSION,
            kind: "Rollout",
            metadata: {
                name: spec.name,
                namespace: args.namespace,
                labels,
                annotations: pulumi.output(args.previousImage).apply((previousImage) => ({
                    // Never awaited, explicitly so that PULUMI_K8S_AWAIT_ALL cannot turn waiting on
                    // (docs/progressive-delivery.md, "What `pulumi up` waits for").
                    "pulumi.com/skipAwait": "true",
                    // `kubectl argo rollouts restart` writes spec.restartAt with its own field manager;
                    // forcing our apply takes it back instead of failing on a field-manager conflict.
                    "pulumi.com/patchForce": "true",
                    ...subscriptionAnnotations(args.notifications ?? []),
                    ...(previousImage === undefined || previousImage === "" ? {} : { [PREVIOUS_IMAGE_ANNOTATION]: previousImage }),
                })),
            },
            spec: rolloutSpec,
        }, {
            parent: this,
            // The controller marks a Rollout whose Services are missing as degraded; create them first.
            dependsOn: services,
            ignoreChanges: (args.holdRestart ?? false) ? [RESTART_PATHS[restartStrategy]] : [],
        });
        this.rolloutName = spec.name;

        const scrapeLabels = { ...selectorLabels(spec.name), [SCRAPE_LABEL]: "true" };
        const monitorSpec: IServiceMonitor["spec"] = {
            // job = the service's name, which the AnalysisTemplates' queries match on.
            jobLabel: SERVICE_NAME_LABEL,
            selector: { matchLabels: scrapeLabels },
            // Lets an analysis measure one ReplicaSet: the canary, not the stable pods beside it.
            podTargetLabels: [POD_TEMPLATE_HASH_LABEL],
            endpoints: [{ port: "http", path: args.metricsPath ?? "/metrics", interval: "15s" }],
        };
        this.serviceMonitor = new k8s.apiextensions.CustomResource(`${name}-monitor`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: spec.name, namespace: args.namespace, labels },
            spec: monitorSpec,
        }, { parent: this });

        const ingress = new ServiceIngress(`${name}-ingress`, {
            name: spec.name,
            namespace: args.namespace,
            host: args.host,
            routes: [{ path: `/${spec.name}`, serviceName: ingressBackend(spec.name, args.strategy), servicePort: spec.port }],
            tls: args.tls,
            ingressClassName: args.ingressClassName,
        }, { parent: this, dependsOn: services });
        this.url = pulumi.interpolate`${ingress.url}/${spec.name}`;

        const clusterUrl = (serviceName: string) =>
            pulumi.output(args.namespace).apply((ns) => `http://${clusterServiceHost(serviceName, ns)}:${spec.port}`);
        this.clusterUrl = clusterUrl(spec.name);
        this.previewUrl = clusterUrl(names.kind === "canary" ? names.canary : names.preview);
        const live = (this.rollout as unknown as RolloutOutputs).spec;
        this.restartedAt = restartStrategy === "template"
            ? live.apply((s) => s.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? null)
            : live.apply((s) => s.restartAt ?? null);
        const healthyImage = this.readHealthyImage(name);
        // A preview records nothing (it writes no state): the image it would see is not what the update will.
        this.healthyImage = pulumi.runtime.isDryRun() ? pulumi.output(null) : healthyImage;
        this.registerOutputs({
            rolloutName: this.rolloutName,
            url: this.url,
            clusterUrl: this.clusterUrl,
            previewUrl: this.previewUrl,
            restartedAt: this.restartedAt,
        });
    }

    /**
     * The Rollout as the cluster has it, read after this update applied ours (the read goes by the
     * managed Rollout's id, so it waits for it): the image it is Healthy on, if it is. Read in a
     * preview too (skipped by the engine when the Rollout is yet to be created): a read the preview
     * left out would show as a deletion in it.
     */
    private readHealthyImage(name: string): pulumi.Output<string | null> {
        const current = new k8s.apiextensions.CustomResource(`${name}-live`, {
            apiVersion: ARGO_API_VERSION,
            kind: "Rollout",
            // A read's outputs are the keys it names: the generation, the image and what the controller says.
            metadata: undefined,
            spec: undefined,
            status: undefined,
        }, { parent: this, id: this.rollout.id });
        const { spec, status } = current as unknown as LiveRolloutOutputs;
        return pulumi.all([current.metadata, spec, status]).apply(([metadata, liveSpec, liveStatus]) =>
            healthyImageOf({ metadata, spec: liveSpec, status: liveStatus }) ?? null);
    }
}

/** The service with its requests and limits spelled as the API server spells them. */
function canonicalResources(service: ServiceSpec, parent: pulumi.Resource): ServiceSpec {
    const canonical = (which: "requests" | "limits"): ComputeResources => {
        const { cpu, memory } = service.resources[which];
        const [canonicalCpu, canonicalMemory] = [canonicalQuantity(cpu), canonicalQuantity(memory)];
        if (canonicalCpu === undefined || canonicalMemory === undefined) {
            throw new pulumi.ResourceError(
                `resources.${which} of ${service.name} must be Kubernetes quantities such as 250m or 512Mi, got cpu ${cpu} and memory ${memory}`, parent);
        }
        return { cpu: canonicalCpu, memory: canonicalMemory };
    };
    return { ...service, resources: { requests: canonical("requests"), limits: canonical("limits") } };
}
