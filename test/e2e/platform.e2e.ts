import * as assert from "node:assert/strict";
import { Stack } from "@pulumi/pulumi/automation";
import { POLICY_PREFIX } from "../../lib/platformNetworkPolicies";
import { changesByOp, engineEnv, stepRecorder, withStack } from "./support/engine";
import { Cluster, isNotFound } from "./support/kube";

/** Namespaces an external ArgoCD and Prometheus would run in; the suite stands in for that installer. */
const ARGOCD_NAMESPACE = "platform-e2e-argocd";
const MONITORING_NAMESPACE = "platform-e2e-monitoring";

/**
 * dev's platform block with every chart left to an installer outside the stack (this cluster runs
 * no ArgoCD, Prometheus or cert-manager, only their CRDs, applied by scripts/cluster.sh from the
 * projects' Go modules), so what remains is the platform's own custom resources. Cluster-scoped
 * names carry the suite's prefix: the cluster is shared.
 */
const PLATFORM = {
    argoRollouts: { installVia: "external" },
    argoCd: {
        installVia: "external",
        namespace: ARGOCD_NAMESPACE,
        // Locks down a namespace installed elsewhere; the API server's address is read from the cluster.
        networkPolicies: { enabled: true, repositories: ["140.82.112.0/20", "2606:50c0::/32"] },
        // No ArgoCD controller would ever remove its finalizer, so deleting the Application would hang.
        cascadeDelete: false,
        applications: [{
            name: "shop-extras",
            repoURL: "https://github.com/pilab-hu/shop-deploy.git",
            path: "extras",
            targetRevision: "main",
            namespace: "shop-extras",
            autoscaled: true,
            clusterResources: [{ group: "rbac.authorization.k8s.io", kind: "ClusterRole" }],
        }],
    },
    monitoring: { installVia: "external", namespace: MONITORING_NAMESPACE, networkPolicies: { enabled: true, nodes: ["10.0.0.0/8"], scrapePorts: [9000] } },
    certManager: {
        installVia: "external",
        clusterIssuers: [
            { name: "platform-e2e-selfsigned", selfSigned: {} },
            { name: "platform-e2e-letsencrypt", acme: { email: "platform@pilab.hu" } },
        ],
    },
};

/** A custom resource the platform makes, as the API server serves it. */
interface CustomObjectRef {
    readonly group: string;
    readonly version: string;
    readonly plural: string;
    readonly namespace?: string;
    readonly name: string;
}

const PLURALS: Record<string, string> = {
    AppProject: "appprojects",
    Application: "applications",
    ServiceMonitor: "servicemonitors",
    PrometheusRule: "prometheusrules",
    ClusterIssuer: "clusterissuers",
};

const EXPECTED_CUSTOM_OBJECTS = [
    "Application platform-e2e-argocd/shop-extras",
    "AppProject platform-e2e-argocd/rollout-stacks",
    "ClusterIssuer platform-e2e-letsencrypt",
    "ClusterIssuer platform-e2e-selfsigned",
    "PrometheusRule platform-e2e-monitoring/rollout-stacks",
    "ServiceMonitor platform-e2e-monitoring/argo-rollouts",
];

/** The NetworkPolicies of the two namespaces whose policies PLATFORM turns on, without their prefix. */
const EXPECTED_POLICIES: Record<string, string[]> = {
    [ARGOCD_NAMESPACE]: [
        "allow-commit-server", "allow-dex", "allow-dns", "allow-egress-in-namespace", "allow-git", "allow-kube-api",
        ...["application-controller", "applicationset-controller", "commit-server", "dex-server", "notifications-controller", "repo-server", "server"]
            .map((pod) => `allow-prometheus-${pod}`),
        "allow-redis", "allow-repo-server", "default-deny",
    ],
    [MONITORING_NAMESPACE]: [
        "allow-alerts", "allow-analysis-queries", "allow-dns", "allow-egress-in-namespace", "allow-grafana-to-prometheus", "allow-kube-api",
        "allow-scrape", "allow-scrape-in-namespace", "default-deny",
    ],
};

const DASHBOARDS = ["rollout-stacks-golden-signals", "rollout-stacks-rollout-progress", "rollout-stacks-traffic-split"];

/** A resource of the stack's state, with the inputs Pulumi sent. */
interface StateResource {
    readonly inputs?: Record<string, unknown>;
}

/**
 * The platform's custom resources on the real API server with the real CRD schemas: the ArgoCD
 * AppProject and Applications (the rollouts controller's too), the ServiceMonitor and
 * PrometheusRule, the ClusterIssuers, and the Grafana dashboard ConfigMaps, with every chart
 * install off.
 */
describe("platform stack on the real engine", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    const createdNamespaces: string[] = [];

    before(async () => {
        for (const name of [ARGOCD_NAMESPACE, MONITORING_NAMESPACE]) {
            if (await createNamespace(name)) {
                createdNamespaces.push(name);
            }
        }
    });

    after(async () => {
        for (const name of createdNamespaces) {
            await cluster.core.deleteNamespace({ name });
            await namespaceGone(name);
        }
    });

    /** Creates a namespace unless it exists; says whether it did. */
    async function createNamespace(name: string): Promise<boolean> {
        if (await cluster.namespaceExists(name)) {
            return false;
        }
        // A namespace still terminating from an earlier run cannot be created again yet.
        await namespaceGone(name);
        await cluster.core.createNamespace({ body: { metadata: { name, labels: { "app.kubernetes.io/managed-by": "platform-e2e" } } } });
        return true;
    }

    async function namespaceGone(name: string): Promise<void> {
        await cluster.eventually(`namespace ${name} to go`, async () => {
            try {
                await cluster.core.readNamespace({ name });
                return undefined;
            } catch (error) {
                if (isNotFound(error)) {
                    return true;
                }
                throw error;
            }
        });
    }

    /** The platform's NetworkPolicies in a namespace, by name without their prefix, sorted. */
    async function platformPolicies(namespace: string): Promise<string[]> {
        const { items } = await cluster.networking.listNamespacedNetworkPolicy({ namespace });
        return items.map((p) => p.metadata!.name!).filter((name) => name.startsWith(POLICY_PREFIX)).map((name) => name.slice(POLICY_PREFIX.length)).sort();
    }

    async function previewChanges(stack: Stack): Promise<Record<string, string[]>> {
        const recorder = stepRecorder();
        await stack.preview({ onEvent: recorder.onEvent });
        return changesByOp(recorder.steps);
    }

    /** The custom resources in the stack's state, with the inputs Pulumi sent for each. */
    async function customResources(stack: Stack): Promise<{ ref: CustomObjectRef; label: string; sent: Record<string, unknown> }[]> {
        const state = await stack.exportStack();
        return (state.deployment.resources as StateResource[])
            .filter((r) => r.inputs !== undefined && typeof r.inputs.kind === "string" && r.inputs.kind in PLURALS)
            .map((r) => {
                const inputs = r.inputs as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
                const [group, version] = inputs.apiVersion.split("/") as [string, string];
                const { name, namespace } = inputs.metadata;
                return {
                    ref: { group, version, plural: PLURALS[inputs.kind]!, name, ...(namespace === undefined ? {} : { namespace }) },
                    label: `${inputs.kind} ${namespace === undefined ? "" : `${namespace}/`}${name}`,
                    sent: r.inputs!,
                };
            })
            .sort((a, b) => a.label.localeCompare(b.label));
    }

    async function readCustomObject(ref: CustomObjectRef): Promise<Record<string, unknown>> {
        const { group, version, plural, name, namespace } = ref;
        return namespace === undefined
            ? cluster.custom.getClusterCustomObject({ group, version, plural, name })
            : cluster.custom.getNamespacedCustomObject({ group, version, plural, namespace, name });
    }

    async function customObjectGone(ref: CustomObjectRef): Promise<boolean> {
        try {
            await readCustomObject(ref);
            return false;
        } catch (error) {
            if (isNotFound(error)) {
                return true;
            }
            throw error;
        }
    }

    /**
     * The stack's custom resources as the API server keeps them. Accepted is not all: each must hold
     * every field sent, with the value sent. Server-side apply refuses a field the schema does not
     * declare; this also catches what it would not (a value the server drops or rewrites, or a
     * client-side apply, where the provider's fieldValidation=Warn prunes unknown fields silently).
     */
    async function liveAsSent(stack: Stack): Promise<{ ref: CustomObjectRef; label: string; live: Record<string, unknown> }[]> {
        const live = [];
        for (const { ref, label, sent } of await customResources(stack)) {
            const object = await readCustomObject(ref);
            assert.deepEqual(missingOrChanged(sent.spec, object.spec, "spec"), [], `${label}: fields the API server did not keep as sent`);
            assert.deepEqual(missingOrChanged((sent.metadata as Record<string, unknown>).labels, (object.metadata as Record<string, unknown>).labels, "metadata.labels"), [], label);
            live.push({ ref, label, live: object });
        }
        return live;
    }

    /** Neither against the state an up wrote, nor after a refresh reads the objects back, may API-server defaulting show as a change. */
    async function assertConverged(stack: Stack): Promise<void> {
        assert.deepEqual(await previewChanges(stack), {});
        const again = await stack.up();
        // The API server's EndpointSlice is read on every update (for the policies): a read changes nothing.
        assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}).filter((op) => op !== "read"), ["same"]);
        await stack.refresh();
        assert.deepEqual(await previewChanges(stack), {});
    }

    async function destroyAll(stack: Stack): Promise<void> {
        const destroyed = await stack.destroy();
        assert.equal(destroyed.summary.result, "succeeded");
        assert.deepEqual((await stack.exportStack()).deployment.resources ?? [], []);
    }

    it("creates every custom resource as the real CRDs accept it, converges, and destroys it all", async () => {
        let refs: CustomObjectRef[] = [];
        await withStack("platform-e2e", { platform: PLATFORM }, async (stack) => {
            const recorder = stepRecorder();
            const up = await stack.up({ onEvent: recorder.onEvent });
            assert.equal(up.summary.result, "succeeded");
            const created = changesByOp(recorder.steps);
            assert.deepEqual(Object.keys(created), ["create"], "a first up of a new stack only creates");
            const policyCount = Object.values(EXPECTED_POLICIES).flat().length;
            assert.deepEqual([...created.create!].sort(), [
                "kubernetes:argoproj.io/v1alpha1:AppProject", "kubernetes:argoproj.io/v1alpha1:Application",
                "kubernetes:cert-manager.io/v1:ClusterIssuer", "kubernetes:cert-manager.io/v1:ClusterIssuer",
                "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMap",
                "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
                ...Array<string>(policyCount).fill("kubernetes:networking.k8s.io/v1:NetworkPolicy"),
                "pulumi:providers:kubernetes", "pulumi:pulumi:Stack",
                "rollout-stacks:platform:ArgoCd", "rollout-stacks:platform:CertManager", "rollout-stacks:platform:Monitoring",
                "rollout-stacks:platform:NetworkPolicies", "rollout-stacks:platform:NetworkPolicies",
            ]);
            assert.deepEqual(up.outputs.platform!.value, {
                argoRollouts: { installVia: "external", namespace: "argo-rollouts", dashboard: false, notificationServices: [] },
                argoCd: { namespace: ARGOCD_NAMESPACE, project: "rollout-stacks", applications: ["shop-extras"] },
                monitoring: { namespace: MONITORING_NAMESPACE, dashboards: ["rollout-stacks-rollout-progress", "rollout-stacks-golden-signals", "rollout-stacks-traffic-split"] },
                certManager: { namespace: "cert-manager", clusterIssuers: ["platform-e2e-selfsigned", "platform-e2e-letsencrypt"] },
            });

            const resources = await liveAsSent(stack);
            assert.deepEqual(resources.map((r) => r.label), EXPECTED_CUSTOM_OBJECTS);
            refs = resources.map((r) => r.ref);

            const rule = liveOf(resources, "PrometheusRule platform-e2e-monitoring/rollout-stacks") as { metadata: { labels: Record<string, string> }; spec: { groups: { rules: { alert: string; labels: { severity: string } }[] }[] } };
            assert.deepEqual(rule.metadata.labels, { release: "kube-prometheus-stack" });
            assert.deepEqual(rule.spec.groups.flatMap((g) => g.rules.map((r) => `${r.alert}:${r.labels.severity}`)), [
                "RolloutAborted:warning", "RolloutDegraded:critical", "CanaryErrorRateAboveStable:warning", "PrEnvironmentPodCrashLooping:warning",
            ]);
            const monitor = liveOf(resources, "ServiceMonitor platform-e2e-monitoring/argo-rollouts") as { spec: { namespaceSelector: unknown; endpoints: { honorLabels: boolean }[] } };
            assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ["argo-rollouts"] });
            assert.equal(monitor.spec.endpoints[0]!.honorLabels, true);
            const application = liveOf(resources, "Application platform-e2e-argocd/shop-extras") as { metadata: { finalizers?: string[] }; spec: { project: string; syncPolicy: { automated: unknown; syncOptions: string[] } } };
            assert.equal(application.spec.project, "rollout-stacks");
            assert.deepEqual(application.spec.syncPolicy.automated, { prune: true, selfHeal: true });
            assert.deepEqual(application.spec.syncPolicy.syncOptions, ["CreateNamespace=true", "RespectIgnoreDifferences=true"]);
            assert.deepEqual(application.metadata.finalizers ?? [], []);
            const acme = liveOf(resources, "ClusterIssuer platform-e2e-letsencrypt") as { spec: { acme: { server: string; solvers: unknown[] } } };
            assert.equal(acme.spec.acme.server, "https://acme-v02.api.letsencrypt.org/directory");
            assert.deepEqual(acme.spec.acme.solvers, [{ http01: { ingress: { ingressClassName: "nginx" } } }]);

            const dashboards = (await cluster.core.listNamespacedConfigMap({ namespace: MONITORING_NAMESPACE, labelSelector: "grafana_dashboard=1" })).items;
            assert.deepEqual(dashboards.map((cm) => cm.metadata!.name).sort(), DASHBOARDS);
            for (const cm of dashboards) {
                const [json] = Object.values(cm.data ?? {});
                assert.equal((JSON.parse(json!) as { uid: string }).uid, cm.metadata!.name);
            }

            for (const [namespace, expected] of Object.entries(EXPECTED_POLICIES)) {
                assert.deepEqual(await platformPolicies(namespace), expected, `NetworkPolicies in ${namespace}`);
            }
            // The API server's addresses and port, read from the real default/kubernetes EndpointSlice.
            const api = await cluster.networking.readNamespacedNetworkPolicy({ namespace: ARGOCD_NAMESPACE, name: `${POLICY_PREFIX}allow-kube-api` });
            const [apiRule] = api.spec?.egress ?? [];
            assert.ok(apiRule !== undefined && (apiRule.to ?? []).length > 0 && (apiRule.to ?? []).every((peer) => peer.ipBlock?.cidr !== undefined),
                `allow-kube-api allows exactly the API server's addresses: ${JSON.stringify(api.spec?.egress)}`);
            assert.ok((apiRule.ports ?? []).length > 0, "allow-kube-api names the API server's port");

            await assertConverged(stack);
            await destroyAll(stack);
        });

        for (const [namespace] of Object.entries(EXPECTED_POLICIES)) {
            assert.deepEqual(await platformPolicies(namespace), [], `the stack's NetworkPolicies in ${namespace} outlive its destroy`);
        }
        for (const ref of refs) {
            assert.ok(await customObjectGone(ref), `${ref.plural}/${ref.name} is still there after destroy`);
        }
        const dashboards = (await cluster.core.listNamespacedConfigMap({ namespace: MONITORING_NAMESPACE, labelSelector: "grafana_dashboard=1" })).items;
        assert.deepEqual(dashboards.map((cm) => cm.metadata!.name), []);
    });

    it("registers the rollouts controller as an ArgoCD Application and waits until ArgoCD reports it Healthy", async () => {
        const ref: CustomObjectRef = { group: "argoproj.io", version: "v1alpha1", plural: "applications", namespace: ARGOCD_NAMESPACE, name: "argo-rollouts" };
        const platform = {
            argoRollouts: { installVia: "argocd" },
            argoCd: { installVia: "external", namespace: ARGOCD_NAMESPACE, cascadeDelete: false },
            monitoring: { enabled: false },
            certManager: { enabled: false },
        };
        await withStack("platform-e2e-rollouts-via-argocd", { platform }, async (stack) => {
            let settled = false;
            const pending = stack.up().finally(() => (settled = true));
            // Awaited below; this only keeps an early failure from counting as unhandled meanwhile.
            pending.catch(() => undefined);
            await cluster.eventually("the argo-rollouts Application, or the end of the up",
                async () => settled || !(await customObjectGone(ref)) ? true : undefined);
            if (settled) {
                await pending;
                assert.fail("the up finished before ArgoCD reported the controller Healthy");
            }
            // Stands in for ArgoCD, which reports health in the Application's status once the chart is synced.
            await cluster.custom.patchNamespacedCustomObject({
                ...ref, namespace: ARGOCD_NAMESPACE, body: [{ op: "add", path: "/status", value: { health: { status: "Healthy" } } }],
            });
            const up = await pending;
            assert.equal(up.summary.result, "succeeded");
            assert.deepEqual(up.outputs.platform!.value, {
                argoRollouts: { installVia: "argocd", namespace: "argo-rollouts", dashboard: false, notificationServices: [] },
                argoCd: { namespace: ARGOCD_NAMESPACE, project: "rollout-stacks", applications: ["argo-rollouts"] },
            });

            const resources = await liveAsSent(stack);
            assert.deepEqual(resources.map((r) => r.label), ["Application platform-e2e-argocd/argo-rollouts", "AppProject platform-e2e-argocd/rollout-stacks"]);
            const application = liveOf(resources, "Application platform-e2e-argocd/argo-rollouts") as { spec: { source: { chart: string; targetRevision: string; helm: { releaseName: string } }; syncPolicy: { syncOptions: string[] } } };
            assert.deepEqual([application.spec.source.chart, application.spec.source.targetRevision, application.spec.source.helm.releaseName], ["argo-rollouts", "2.43.1", "argo-rollouts"]);
            assert.ok(application.spec.syncPolicy.syncOptions.includes("ServerSideApply=true"));

            await assertConverged(stack);
            await destroyAll(stack);
        });
        assert.ok(await customObjectGone(ref), "the argo-rollouts Application is still there after destroy");
    });
});

function liveOf(resources: readonly { label: string; live: Record<string, unknown> }[], label: string): Record<string, unknown> {
    const found = resources.find((r) => r.label === label);
    assert.ok(found, `no ${label} in the stack's state`);
    return found.live;
}

/** Paths under `path` where `live` lacks a value of `sent` or holds another one; extra live fields (defaults) are fine. */
function missingOrChanged(sent: unknown, live: unknown, path: string): string[] {
    if (Array.isArray(sent)) {
        if (!Array.isArray(live) || live.length !== sent.length) {
            return [path];
        }
        return sent.flatMap((item, index) => missingOrChanged(item, live[index], `${path}[${index}]`));
    }
    if (sent !== null && typeof sent === "object") {
        if (live === null || typeof live !== "object" || Array.isArray(live)) {
            return [path];
        }
        return Object.entries(sent).flatMap(([key, value]) => missingOrChanged(value, (live as Record<string, unknown>)[key], `${path}.${key}`));
    }
    return sent === live ? [] : [path];
}
