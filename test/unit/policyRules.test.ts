import * as assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { packArgs, policies } from "../../policy/policies";
import { hostAccessProblems, limitProblems, nonRootProblems, privilegeProblems, readOnlyRootProblems } from "../../policy/rules/containers";
import { imageProblems } from "../../policy/rules/images";
import { prNamespaceProblems, StackResource } from "../../policy/rules/prNamespace";
import { maybeKnown, PolicyInput } from "../../policy/rules/resource";
import { rolloutAnalysisProblems } from "../../policy/rules/rolloutAnalysis";
import { workloadContainers, workloadPodSpec } from "../../policy/rules/workloads";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";

function urn(stack: string, type: string, name: string): string {
    return `urn:pulumi:${stack}::rollout-stacks::${type}::${name}`;
}

/** A hardened container, as the program's secure pod template writes it; tests break one thing at a time. */
function goodContainer(overrides: Record<string, any> = {}): Record<string, any> {
    return {
        name: "cart-service",
        image: "ghcr.io/pilab-hu/cart-service:pr-7",
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        ...overrides,
    };
}

function deployment(containers: Record<string, any>[], pod: Record<string, any> = {}, namespace = "pr-7-shop-pilab-hu"): PolicyInput {
    return {
        type: DEPLOYMENT,
        urn: urn("pr-7", DEPLOYMENT, "cart"),
        props: { metadata: { name: "cart-service", namespace }, spec: { template: { spec: { ...pod, containers } } } },
    };
}

function rollout(stack: string, strategy: Record<string, any>): PolicyInput {
    return { type: ROLLOUT, urn: urn(stack, ROLLOUT, "cart"), props: { metadata: { name: "cart-service" }, spec: { strategy, template: { spec: { containers: [goodContainer()] } } } } };
}

/** ResourceValidationArgs as the policy server builds them, for the rules' adapters. */
function resourceArgs(resource: PolicyInput, config: object = {}): ResourceValidationArgs {
    return {
        ...resource,
        name: "cart",
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => { throw new Error(reason); },
    };
}

function violations(policyName: string, resource: PolicyInput, config: object = {}): string[] {
    const policy = policies.find((p) => p.name === policyName) as ResourceValidationPolicy;
    const found: string[] = [];
    const validate = policy.validateResource;
    (Array.isArray(validate) ? validate : [validate!]).forEach((v) => v(resourceArgs(resource, config), (message) => found.push(message)));
    return found;
}

describe("policy rules", () => {
    describe("pinned images", () => {
        const check = (image: string) => imageProblems(workloadContainers(deployment([goodContainer({ image })])));

        it("accepts a tag or a digest", () => {
            assert.deepEqual(check("ghcr.io/pilab-hu/cart-service:v2.4.0"), []);
            assert.deepEqual(check(`ghcr.io/pilab-hu/cart-service@sha256:${"a".repeat(64)}`), []);
            assert.deepEqual(check(`ghcr.io/pilab-hu/cart-service:latest@sha256:${"a".repeat(64)}`), []);
        });

        it("refuses latest and untagged images, naming the container", () => {
            assert.deepEqual(check("ghcr.io/pilab-hu/cart-service:latest"), ["container cart-service: image 'ghcr.io/pilab-hu/cart-service:latest' uses the floating tag 'latest'; pin a version or a digest"]);
            assert.match(check("nginx")[0]!, /^container cart-service: image 'nginx' has no tag or digest/);
            assert.match(check("Not An Image")[0]!, /is not a valid image reference/);
        });

        it("checks init containers and CronJob templates too", () => {
            const cronJob: PolicyInput = {
                type: "kubernetes:batch/v1:CronJob", urn: urn("dev", "kubernetes:batch/v1:CronJob", "backup"),
                props: { spec: { jobTemplate: { spec: { template: { spec: { initContainers: [goodContainer({ name: "wait", image: "busybox" })], containers: [goodContainer()] } } } } } },
            };
            assert.deepEqual(violations("pinned-images", cronJob).map((m) => m.split(":")[0]), ["init container wait"]);
        });
    });

    describe("hardened containers", () => {
        it("requires CPU and memory limits", () => {
            assert.deepEqual(limitProblems(workloadContainers(deployment([goodContainer()]))), []);
            const noMemory = goodContainer({ resources: { limits: { cpu: "1" } } });
            assert.deepEqual(limitProblems(workloadContainers(deployment([noMemory]))), ["container cart-service has no memory limit; set resources.limits.memory"]);
            assert.match(limitProblems(workloadContainers(deployment([goodContainer({ resources: {} })])))[0]!, /no cpu or memory limit/);
        });

        it("requires a non-root user on the container or inherited from the pod", () => {
            const inherit = goodContainer({ securityContext: { readOnlyRootFilesystem: true } });
            assert.deepEqual(nonRootProblems(workloadContainers(deployment([inherit], { securityContext: { runAsNonRoot: true } }))), []);
            assert.deepEqual(nonRootProblems(workloadContainers(deployment([inherit], { securityContext: { runAsUser: 65532 } }))), []);
            assert.match(nonRootProblems(workloadContainers(deployment([inherit])))[0]!, /may run as root/);
            const root = goodContainer({ securityContext: { runAsNonRoot: true, runAsUser: 0, readOnlyRootFilesystem: true } });
            assert.match(nonRootProblems(workloadContainers(deployment([root])))[0]!, /runs as root \(runAsUser: 0\)/);
            const overridden = goodContainer({ securityContext: { runAsNonRoot: false, readOnlyRootFilesystem: true } });
            assert.equal(nonRootProblems(workloadContainers(deployment([overridden], { securityContext: { runAsNonRoot: true } }))).length, 1);
        });

        it("requires a read-only root filesystem", () => {
            assert.deepEqual(readOnlyRootProblems(workloadContainers(deployment([goodContainer()]))), []);
            const writable = goodContainer({ securityContext: { runAsNonRoot: true } });
            assert.match(readOnlyRootProblems(workloadContainers(deployment([writable])))[0]!, /container cart-service has a writable root filesystem/);
        });

        it("refuses privileged containers, privilege escalation and capabilities kept or added", () => {
            assert.deepEqual(privilegeProblems(workloadContainers(deployment([goodContainer()]))), []);
            const hardened = goodContainer().securityContext;
            const withContext = (context: Record<string, any>) => privilegeProblems(workloadContainers(deployment([goodContainer({ securityContext: { ...hardened, ...context } })])));
            assert.deepEqual(withContext({ privileged: true }), ["container cart-service is privileged; remove securityContext.privileged"]);
            assert.deepEqual(withContext({ allowPrivilegeEscalation: undefined }),
                ["container cart-service may escalate its privileges; set securityContext.allowPrivilegeEscalation: false"]);
            assert.deepEqual(withContext({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN", "NET_BIND_SERVICE"] } }),
                ["container cart-service adds the capabilities SYS_ADMIN; remove them from securityContext.capabilities.add"]);
            assert.deepEqual(withContext({ capabilities: { drop: ["NET_RAW"] } }),
                ["container cart-service keeps the runtime's default capabilities; set securityContext.capabilities.drop: [ALL]"]);
            assert.equal(violations("container-no-privilege", deployment([goodContainer({ securityContext: { ...hardened, privileged: true } })])).length, 1);
        });

        it("refuses pods sharing the node's namespaces or mounting its filesystem", () => {
            const spec = (pod: Record<string, any>) => workloadPodSpec(deployment([goodContainer()], pod))!;
            assert.deepEqual(hostAccessProblems(spec({ volumes: [{ name: "tmp", emptyDir: {} }] })), []);
            assert.deepEqual(hostAccessProblems(spec({ hostNetwork: true, hostPID: true, hostIPC: false })), [
                "the pod shares the node's network namespace (hostNetwork: true); remove hostNetwork",
                "the pod shares the node's pid namespace (hostPID: true); remove hostPID",
            ]);
            assert.deepEqual(hostAccessProblems(spec({ volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] })),
                ["volume docker mounts the node's /var/run/docker.sock (hostPath); use an emptyDir, a ConfigMap or a PersistentVolumeClaim"]);
            assert.equal(violations("pod-no-host-access", deployment([goodContainer()], { hostIPC: true })).length, 1);
            assert.deepEqual(violations("pod-no-host-access", deployment([goodContainer()])), []);
        });

        it("skips namespaces the policy config exempts, and only those", () => {
            const writable = goodContainer({ securityContext: { runAsNonRoot: true } });
            assert.equal(violations("container-read-only-root", deployment([writable], {}, "argo-rollouts"), { exemptNamespaces: ["argo-rollouts"] }).length, 0);
            assert.equal(violations("container-read-only-root", deployment([writable], {}, "pr-7"), { exemptNamespaces: ["argo-rollouts"] }).length, 1);
            assert.equal(violations("container-read-only-root", deployment([writable], {}, "argo-rollouts")).length, 1);
        });

        it("checks the pod template of a Rollout and ignores resources without pods", () => {
            const badRollout: PolicyInput = { ...rollout("dev", { blueGreen: {} }), props: { spec: { template: { spec: { containers: [goodContainer({ resources: {} })] } } } } };
            assert.equal(violations("container-limits", badRollout).length, 1);
            const configMap: PolicyInput = { type: "kubernetes:core/v1:ConfigMap", urn: urn("pr-7", "kubernetes:core/v1:ConfigMap", "c"), props: { data: {} } };
            assert.deepEqual(violations("container-limits", configMap), []);
        });
    });

    describe("production Rollouts run analysis", () => {
        const steps = (...list: object[]) => ({ canary: { steps: list } });

        it("requires an analysis step in a prod canary", () => {
            assert.deepEqual(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { analysis: { templates: [{ templateName: "success-rate" }] } })), ["prod"]), []);
            assert.match(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { pause: { duration: "2m" } })), ["prod"])[0]!, /no analysis step/);
            assert.match(rolloutAnalysisProblems(rollout("prod", { canary: {} }), ["prod"])[0]!, /no analysis step/);
        });

        it("requires pre- or post-promotion analysis in a prod blue/green", () => {
            const analysis = { templates: [{ templateName: "success-rate" }] };
            assert.deepEqual(rolloutAnalysisProblems(rollout("prod", { blueGreen: { prePromotionAnalysis: analysis } }), ["prod"]), []);
            assert.deepEqual(rolloutAnalysisProblems(rollout("prod", { blueGreen: { postPromotionAnalysis: analysis } }), ["prod"]), []);
            assert.match(rolloutAnalysisProblems(rollout("prod", { blueGreen: { autoPromotionEnabled: false } }), ["prod"])[0]!, /no pre- or post-promotion analysis/);
            for (const nothing of [null, {}, { templates: [] }]) {
                assert.match(rolloutAnalysisProblems(rollout("prod", { blueGreen: { prePromotionAnalysis: nothing } }), ["prod"])[0]!,
                    /no pre- or post-promotion analysis/, `prePromotionAnalysis: ${JSON.stringify(nothing)}`);
            }
        });

        it("refuses an analysis that measures nothing, or only after the canary has every pod", () => {
            const analysis = { templates: [{ templateName: "success-rate" }] };
            assert.match(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { analysis: null })), ["prod"])[0]!, /no analysis step/);
            assert.match(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { analysis: { templates: [] } })), ["prod"])[0]!, /no analysis step/);
            assert.match(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { setWeight: 100 }, { analysis })), ["prod"])[0]!,
                /runs its analysis only after setWeight: 100.*move an analysis step before it/);
            assert.deepEqual(rolloutAnalysisProblems(rollout("prod", steps({ setWeight: 20 }, { analysis }, { setWeight: 100 }, { analysis })), ["prod"]), []);
        });

        it("leaves other stacks alone, and takes the production stacks from config", () => {
            assert.deepEqual(violations("prod-rollout-analysis", rollout("dev", { blueGreen: {} })), []);
            assert.equal(violations("prod-rollout-analysis", rollout("prod", { blueGreen: {} })).length, 1);
            assert.equal(violations("prod-rollout-analysis", rollout("live", { blueGreen: {} }), { productionStacks: ["live"] }).length, 1);
        });
    });

    describe("PR namespaces are isolated", () => {
        const ns = "urn:pulumi:pr-7::rollout-stacks::kubernetes:core/v1:Namespace::pr-7-ns";
        const namespace: StackResource = {
            type: "kubernetes:core/v1:Namespace", urn: ns,
            props: { metadata: { name: "pr-7-shop-pilab-hu", labels: { "rollout-stacks.io/pr": "7" } } },
        };
        const quota: StackResource = {
            type: "kubernetes:core/v1:ResourceQuota", urn: `${ns}-quota`,
            props: { metadata: { name: "quota", namespace: "pr-7-shop-pilab-hu" }, spec: { hard: { "limits.cpu": "4", "limits.memory": "8Gi", pods: "24" } } },
        };
        const denyAll: StackResource = {
            type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", urn: `${ns}-deny`,
            props: { metadata: { name: "default-deny", namespace: "pr-7-shop-pilab-hu" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        };

        it("accepts a PR namespace with a quota and a default-deny policy", () => {
            assert.deepEqual(prNamespaceProblems([namespace, quota, denyAll]), []);
        });

        it("reports a missing quota and a missing default deny on the namespace", () => {
            assert.deepEqual(prNamespaceProblems([namespace]), [
                { urn: ns, message: "PR namespace pr-7-shop-pilab-hu has no ResourceQuota with hard limits" },
                { urn: ns, message: "PR namespace pr-7-shop-pilab-hu has no default-deny NetworkPolicy for Ingress and Egress (podSelector {} with no rules)" },
            ]);
        });

        it("does not count a policy that allows traffic, selects some pods, or sits in another namespace", () => {
            const allowing = { ...denyAll, props: { ...denyAll.props, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }] } } };
            assert.match(prNamespaceProblems([namespace, quota, allowing])[0]!.message, /for Ingress \(/);
            const egress = { ...denyAll, props: { ...denyAll.props, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{ to: [{ podSelector: {} }] }] } } };
            assert.match(prNamespaceProblems([namespace, quota, egress])[0]!.message, /for Egress \(/);
            const narrow = { ...denyAll, props: { ...denyAll.props, spec: { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress", "Egress"] } } };
            assert.match(prNamespaceProblems([namespace, quota, narrow])[0]!.message, /for Ingress and Egress/);
            const elsewhere = { ...denyAll, props: { ...denyAll.props, metadata: { name: "default-deny", namespace: "pr-8-shop-pilab-hu" } } };
            assert.equal(prNamespaceProblems([namespace, quota, elsewhere]).length, 1);
        });

        it("requires the quotas together to cap CPU, memory and pods", () => {
            const nodePortsOnly = { ...quota, props: { ...quota.props, spec: { hard: { "services.nodeports": "0" } } } };
            assert.deepEqual(prNamespaceProblems([namespace, nodePortsOnly, denyAll]), [{
                urn: ns,
                message: "PR namespace pr-7-shop-pilab-hu has a ResourceQuota that does not cap cpu, memory, pods; set hard limits such as limits.cpu, limits.memory and pods",
            }]);
            const compute = { ...quota, props: { ...quota.props, spec: { hard: { "requests.cpu": "2", "requests.memory": "3Gi" } } } };
            const pods = { ...quota, urn: `${ns}-pods`, props: { ...quota.props, spec: { hard: { pods: "10" } } } };
            assert.deepEqual(prNamespaceProblems([namespace, compute, pods, denyAll]), []);
            assert.match(prNamespaceProblems([namespace, compute, denyAll])[0]!.message, /does not cap pods;/);
        });

        it("refuses a policy that opens a direction to everyone beside the default deny", () => {
            const policy = (name: string, spec: Record<string, unknown>): StackResource => ({
                ...denyAll, urn: `${ns}-${name}`, props: { metadata: { name, namespace: "pr-7-shop-pilab-hu" }, spec: { podSelector: {}, ...spec } },
            });
            const allowAll = policy("allow-all", { policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] });
            assert.deepEqual(prNamespaceProblems([namespace, quota, denyAll, allowAll]).map((p) => [p.urn, p.message]), [
                [`${ns}-allow-all`, "NetworkPolicy allow-all in PR namespace pr-7-shop-pilab-hu allows all ingress traffic, which undoes the default-deny; name the peers or the ports it allows"],
                [`${ns}-allow-all`, "NetworkPolicy allow-all in PR namespace pr-7-shop-pilab-hu allows all egress traffic, which undoes the default-deny; name the peers or the ports it allows"],
            ]);
            const anywhere = policy("anywhere", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
            assert.match(prNamespaceProblems([namespace, quota, denyAll, anywhere])[0]!.message, /allows all egress traffic/);
            // What the program itself writes: peers named, or ports named.
            const sameNamespace = policy("same-namespace", { policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] });
            const backend = policy("backend", { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 27017 }] }] });
            const dns = policy("dns", { policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] });
            assert.deepEqual(prNamespaceProblems([namespace, quota, denyAll, sameNamespace, backend, dns]), []);
        });

        it("accepts ingress and egress denied by two separate policies", () => {
            const ingress = { ...denyAll, props: { ...denyAll.props, spec: { podSelector: {}, policyTypes: ["Ingress"] } } };
            const egress = { ...denyAll, urn: `${ns}-deny-egress`, props: { ...denyAll.props, spec: { podSelector: {}, policyTypes: ["Egress"] } } };
            assert.deepEqual(prNamespaceProblems([namespace, quota, ingress, egress]), []);
        });

        it("matches by dependency while names are unknown in a preview", () => {
            const unknown = () => { throw new (class UnknownValueError extends Error {})("unknown during preview"); };
            const previewQuota: StackResource = { ...quota, props: { spec: quota.props.spec, get metadata() { return unknown(); } }, propertyDependencies: { metadata: [{ urn: ns }] } };
            const previewDeny: StackResource = { ...denyAll, props: { spec: denyAll.props.spec, get metadata() { return unknown(); } }, propertyDependencies: { metadata: [{ urn: ns }] } };
            assert.deepEqual(prNamespaceProblems([namespace, previewQuota, previewDeny]), []);
            assert.equal(maybeKnown(unknown), undefined);
            assert.throws(() => maybeKnown(() => { throw new TypeError("a bug"); }), TypeError);
        });

        it("ignores namespaces without the PR label", () => {
            const plain = { ...namespace, props: { metadata: { name: "prod" } } };
            assert.deepEqual(prNamespaceProblems([plain]), []);
        });

        it("reports through the stack policy on the namespace's URN", () => {
            const policy = policies.find((p) => p.name === "pr-namespace-isolation") as StackValidationPolicy;
            const reported: [string, string | undefined][] = [];
            const args = { resources: [namespace, quota], stackTags: new Map(), getConfig: () => ({}), notApplicable: () => { throw new Error(); } };
            void policy.validateStack(args as unknown as StackValidationArgs, (message, where) => reported.push([message, where]));
            assert.deepEqual(reported.map(([, where]) => where), [ns]);
        });
    });

    it("are all mandatory and named uniquely", () => {
        assert.equal(packArgs.enforcementLevel, "mandatory");
        assert.ok(policies.every((p) => p.enforcementLevel === undefined), "a policy with its own level would escape the pack's mandatory one");
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
    });
});
