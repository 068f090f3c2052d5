import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterServiceHost } from "../lib/naming";
import { PodTemplateArgs, securePodTemplate } from "../lib/podTemplate";
import { RESTARTED_AT_ANNOTATION, restartHoldPaths } from "../lib/restart";
import { ROLLING_SURGE_PERCENT, selectorLabels, serviceLabels } from "../lib/service";

export interface ServiceDeploymentArgs extends PodTemplateArgs {
    /** Namespace of the Deployment and Service. */
    readonly namespace: pulumi.Input<string>;
    /** Replica count. @default the catalogue's `replicas` */
    readonly replicas?: number;
    /**
     * Keep the pod template's restart annotation as it was at the last update, whatever
     * `deployedAt` says now (a paused environment). @default false
     */
    readonly holdRestart?: boolean;
    /**
     * How long an update waits for the new pods to be ready before it fails: the Deployment's
     * `progressDeadlineSeconds` and the provider's await timeout. @default 600 (the provider's own)
     */
    readonly readyTimeoutSeconds?: number;
}

/** The Kubernetes provider's own wait for a Deployment, and the controller's default progress deadline. */
const DEFAULT_READY_TIMEOUT_SECONDS = 600;

/**
 * One service of the catalogue as a Deployment with a ClusterIP Service in front of it. The
 * Deployment is named after the service, so `kubectl rollout restart deployment/<service>` and
 * dashboards find it by the name people know.
 */
export class ServiceDeployment extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    /** `http://<service>.<namespace>.svc.cluster.local:<port>`. */
    public readonly clusterUrl: pulumi.Output<string>;
    /** The restart annotation the live pod template carries: what a restart actually applied. */
    public readonly restartedAt: pulumi.Output<string | null>;

    constructor(name: string, args: ServiceDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:workload:ServiceDeployment", name, {}, opts);
        const spec = args.service;
        const replicas = args.replicas ?? spec.replicas;
        if (!Number.isInteger(replicas) || replicas < 0) {
            throw new pulumi.ResourceError(`replicas must be a whole number of at least 0, got ${replicas}; pass 0 to pause the service`, this);
        }
        const readyTimeout = args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
        if (!Number.isInteger(readyTimeout) || readyTimeout < 1) {
            throw new pulumi.ResourceError(`readyTimeoutSeconds must be a whole number of at least 1, got ${readyTimeout}`, this);
        }
        const metadata = { name: spec.name, namespace: args.namespace, labels: serviceLabels(spec.name, args.labels) };

        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: {
                ...metadata,
                // kubectl rollout restart writes the restart annotation with its own field manager;
                // forcing our apply takes it back instead of failing on a field-manager conflict.
                annotations: { "pulumi.com/patchForce": "true" },
            },
            spec: {
                replicas,
                revisionHistoryLimit: 5,
                // The controller marks the rollout failed (ProgressDeadlineExceeded) as the update gives up.
                progressDeadlineSeconds: readyTimeout,
                selector: { matchLabels: selectorLabels(spec.name) },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: `${ROLLING_SURGE_PERCENT}%`, maxUnavailable: 0 } },
                template: securePodTemplate(args),
            },
        }, {
            parent: this,
            ignoreChanges: restartHoldPaths(args.holdRestart ?? false),
            customTimeouts: { create: `${readyTimeout}s`, update: `${readyTimeout}s` },
        });

        this.service = new k8s.core.v1.Service(`${name}-service`, {
            metadata,
            spec: {
                type: "ClusterIP",
                selector: selectorLabels(spec.name),
                ports: [{ name: "http", port: spec.port, targetPort: "http", protocol: "TCP" }],
            },
        }, { parent: this });

        this.clusterUrl = pulumi.output(args.namespace).apply((ns) => `http://${clusterServiceHost(spec.name, ns)}:${spec.port}`);
        this.restartedAt = this.deployment.spec.template.metadata.annotations.apply((a) => a?.[RESTARTED_AT_ANNOTATION] ?? null);
        this.registerOutputs({ clusterUrl: this.clusterUrl, restartedAt: this.restartedAt });
    }
}
