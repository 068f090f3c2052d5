import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { imagePullPolicy } from "./imageRef";
import { restartAnnotations } from "./restart";
import { ServiceSpec, serviceLabels } from "./service";

type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** An unprivileged UID/GID outside the range images commonly reserve. */
export const NON_ROOT_ID = 65532;

export interface PodTemplateArgs {
    /** The catalogue entry: name, port, health path, replicas and resources. */
    readonly service: ServiceSpec;
    /** Full image reference, tag or digest included. */
    readonly image: pulumi.Input<string>;
    /**
     * When the kubelet pulls the image. @default `Always` for a mutable reference such as `:pr-123`
     * or `:main` given as a string (a restart then runs what the tag names now), else Kubernetes'
     * own default, `IfNotPresent` for a tag or digest
     */
    readonly imagePullPolicy?: "Always" | "IfNotPresent";
    /** RFC3339 UTC restart trigger, a new value restarts the pods. @default no restart annotation */
    readonly deployedAt?: string;
    /** Extra environment for the app container, e.g. per-PR isolation settings. @default none */
    readonly env?: pulumi.Input<EnvVar>[];
    /** Extra labels on the pods and the objects around them, e.g. the PR number. @default none */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A pod template that passes Pod Security Standard `restricted`: non-root, read-only root
 * filesystem with a writable /tmp, no privilege escalation, no capabilities, RuntimeDefault
 * seccomp, and no service-account token. Shared by Deployments and Argo Rollouts so both run
 * services the same way.
 */
export function securePodTemplate(args: PodTemplateArgs): PodTemplateSpec {
    const { service } = args;
    const probe = { httpGet: { path: service.healthPath, port: "http" } };
    const pullPolicy = args.imagePullPolicy ?? (typeof args.image === "string" ? imagePullPolicy(args.image) : undefined);
    return {
        metadata: {
            labels: serviceLabels(service.name, args.labels),
            annotations: restartAnnotations(args.deployedAt),
        },
        spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: {
                runAsNonRoot: true,
                runAsUser: NON_ROOT_ID,
                runAsGroup: NON_ROOT_ID,
                fsGroup: NON_ROOT_ID,
                seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [{
                name: service.name,
                image: args.image,
                ...(pullPolicy === undefined ? {} : { imagePullPolicy: pullPolicy }),
                ports: [{ name: "http", containerPort: service.port, protocol: "TCP" }],
                env: args.env ?? [],
                readinessProbe: { ...probe, periodSeconds: 5, failureThreshold: 3 },
                livenessProbe: { ...probe, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
                resources: {
                    requests: { cpu: service.resources.requests.cpu, memory: service.resources.requests.memory },
                    limits: { cpu: service.resources.limits.cpu, memory: service.resources.limits.memory },
                },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            }],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        },
    };
}
