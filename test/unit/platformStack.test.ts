import * as assert from "node:assert/strict";
import { KUBE_STATE_LABEL_ALLOWLIST, kubeStateLabel, PR_NAMESPACE_LABEL } from "../../lib/rolloutMetrics";
import { validateCustomResource } from "../support/crdModels";
import { validateKubernetesObject } from "../support/kubernetesModels";
import { isSecretValue, ProgramRun, RegisteredResource, revealSecrets, runProgram } from "../support/program";
import { stackFileConfig } from "../support/projectConfig";

const PASSWORD = "correct-horse-battery-staple";
const CHART = "kubernetes:helm.sh/v4:Chart";
const CERT_MANAGER_CHART = "kubernetes-cert-manager:index:CertManager";
const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
const APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject";
const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
const NAMESPACE = "kubernetes:core/v1:Namespace";

const shop = { name: "shop", repoURL: "https://github.com/acme/deploy.git", path: "apps/shop", namespace: "shop" };

type AddOn = "argoRollouts" | "argoCd" | "monitoring" | "certManager";
type PlatformInput = Partial<Record<AddOn, Record<string, unknown>>>;

/** `platform` with the Grafana password the CLI would hand over as a secret. */
function withPassword(platform: PlatformInput): PlatformInput {
    return { ...platform, monitoring: { grafanaAdminPassword: PASSWORD, ...platform.monitoring } };
}

function runPlatform(platform: PlatformInput, more: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram({ stack: "dev", config: { imageTag: "v1", platform: withPassword(platform), ...more }, secretKeys: ["platform"] });
}

/** The dev stack as its stack file sets it up, once `pulumi config set --secret` has given it the password. */
function runDevStack(platform: PlatformInput = {}, preview = false): Promise<ProgramRun> {
    const file = stackFileConfig("dev");
    const filePlatform = file.platform as PlatformInput;
    const merged = Object.fromEntries((["argoRollouts", "argoCd", "monitoring", "certManager"] as const)
        .map((addOn) => [addOn, { ...filePlatform[addOn], ...platform[addOn] }]));
    return runProgram({ stack: "dev", config: { ...file, platform: withPassword(merged) }, secretKeys: ["platform"], preview });
}

function named(run: ProgramRun, type: string, name: string): RegisteredResource {
    const found = run.ofType(type).filter((r) => r.name === name);
    assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${found.length}`);
    return found[0]!;
}

/** The Pulumi names of the resources a resource was registered to wait for. */
function dependsOn(resource: RegisteredResource): string[] {
    return ((resource.options.dependsOn ?? []) as { __name?: string }[]).map((d) => d.__name ?? "?");
}

const key = (r: RegisteredResource) => `${r.type} ${r.name}`;

/** Registered inputs as state would show them without the secrets provider: secrets masked. */
function masked(value: unknown): unknown {
    if (isSecretValue(value)) {
        return "[secret]";
    }
    if (Array.isArray(value)) {
        return value.map(masked);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
    }
    return value;
}

describe("platform stack", () => {
    describe("dev stack preview on mocks", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runDevStack({}, true);
        });

        it("shows the whole platform: rollouts controller, ArgoCD, monitoring and cert-manager", () => {
            assert.deepEqual(run.resources.filter((r) => r.type.startsWith("rollout-stacks:platform:")).map((r) => r.type).sort(), [
                "rollout-stacks:platform:ArgoCd", "rollout-stacks:platform:ArgoRolloutsController",
                "rollout-stacks:platform:CertManager", "rollout-stacks:platform:Monitoring",
                ...Array<string>(4).fill("rollout-stacks:platform:NetworkPolicies"),
            ]);
            assert.deepEqual(run.ofType(CHART).map((r) => r.inputs.chart).sort(), ["argo-cd", "argo-rollouts", "kube-prometheus-stack"]);
            assert.equal(run.ofType(CERT_MANAGER_CHART).length, 1);
            assert.deepEqual(run.ofType(CLUSTER_ISSUER).map((r) => r.inputs.metadata.name), ["selfsigned"]);
            assert.deepEqual(run.ofType(APP_PROJECT).map((r) => r.inputs.metadata.name), ["rollout-stacks"]);
            assert.ok(run.ofType(SERVICE_MONITOR).some((r) => r.name === "monitoring-argo-rollouts-monitor"));
            assert.equal(run.ofType(PROMETHEUS_RULE).length, 1);
            assert.equal(run.ofType(CONFIG_MAP).filter((r) => r.inputs.metadata.labels?.grafana_dashboard === "1").length, 3);
            assert.deepEqual(run.outputs.platform.argoRollouts, { installVia: "helm", namespace: "argo-rollouts", dashboard: true, notificationServices: [] });
            assert.deepEqual(run.outputs.platform.certManager, { namespace: "cert-manager", clusterIssuers: ["selfsigned"] });
        });

        it("makes the environment wait for the rollouts chart, the monitoring CRDs and the ClusterIssuers", () => {
            const environmentNamespace = run.resources.find((r) => r.type === "rollout-stacks:namespace:IsolatedNamespace");
            assert.ok(environmentNamespace, "the dev stack file sets up an environment");
            assert.deepEqual(dependsOn(environmentNamespace).sort(),
                ["argo-rollouts-chart", "cert-manager-chart", "cert-manager-selfsigned", "monitoring-chart"]);
        });

        it("creates custom resources only after the chart that brings their CRDs", () => {
            for (const r of [...run.ofType(SERVICE_MONITOR).filter((m) => m.name.startsWith("monitoring-")), ...run.ofType(PROMETHEUS_RULE)]) {
                assert.ok(dependsOn(r).includes("monitoring-chart"), `${key(r)} waits for ${dependsOn(r).join(", ")}`);
            }
            for (const r of [...run.ofType(APP_PROJECT)]) {
                assert.deepEqual(dependsOn(r), ["argo-cd-chart"]);
            }
            for (const r of run.ofType(CLUSTER_ISSUER)) {
                assert.deepEqual(dependsOn(r), ["cert-manager-chart"]);
            }
            assert.deepEqual(dependsOn(named(run, CHART, "monitoring-chart")).sort(),
                ["cert-manager-chart", "cert-manager-selfsigned", "monitoring-grafana-admin", "monitoring-namespace"]);
        });

        it("keeps the Grafana admin password a secret in state and out of the chart's values", () => {
            const { stringData } = named(run, SECRET, "monitoring-grafana-admin").inputs;
            assert.ok(isSecretValue(stringData), "the Secret's data must be a Pulumi secret");
            assert.deepEqual(revealSecrets(stringData), { "admin-user": "admin", "admin-password": PASSWORD });
            const values = named(run, CHART, "monitoring-chart").inputs.values;
            assert.deepEqual(values.grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
            for (const r of run.resources) {
                assert.doesNotMatch(JSON.stringify(masked(r.inputs)), new RegExp(PASSWORD), `${key(r)} carries the password in plain text`);
            }
        });

        it("scrapes the rollouts controller keeping the namespaces of the Rollouts it reports", () => {
            const monitor = named(run, SERVICE_MONITOR, "monitoring-argo-rollouts-monitor").inputs;
            assert.deepEqual(monitor.metadata, { name: "argo-rollouts", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } });
            assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ["argo-rollouts"] });
            assert.equal(monitor.spec.endpoints[0].honorLabels, true);
            assert.equal(named(run, CHART, "argo-rollouts-chart").inputs.values.controller.metrics.enabled, true);
        });

        it("stores each dashboard as JSON Grafana's sidecar picks up", () => {
            const values = named(run, CHART, "monitoring-chart").inputs.values;
            assert.deepEqual(values.grafana.sidecar.dashboards, { enabled: true, label: "grafana_dashboard", labelValue: "1" });
            const uids = run.ofType(CONFIG_MAP).map((r) => {
                const [file, json] = Object.entries(r.inputs.data as Record<string, string>)[0]!;
                assert.match(file, /\.json$/);
                return JSON.parse(json).uid;
            });
            assert.deepEqual(uids, run.outputs.platform.monitoring.dashboards);
        });
    });

    describe("each add-on off removes all its resources and nothing else", () => {
        const full: PlatformInput = { argoCd: { applications: [shop] } };
        // Policies that let one add-on reach another go with either of them.
        const owned: Record<AddOn, (r: RegisteredResource) => boolean> = {
            argoRollouts: (r) => r.name.startsWith("argo-rollouts") ||
                ["monitoring-argo-rollouts-monitor", "monitoring-network-policies-rollout-stacks-allow-analysis-queries"].includes(r.name),
            argoCd: (r) => r.name.startsWith("argo-cd"),
            monitoring: (r) => r.name.startsWith("monitoring") || r.name.includes("-rollout-stacks-allow-prometheus-") ||
                r.name === "argo-rollouts-network-policies-rollout-stacks-allow-analysis-queries",
            certManager: (r) => r.name.startsWith("cert-manager") || r.name === "monitoring-network-policies-rollout-stacks-allow-webhook",
        };
        let baseline: ProgramRun;
        before(async () => {
            baseline = await runPlatform(full);
        });

        for (const addOn of ["argoRollouts", "argoCd", "monitoring", "certManager"] as const) {
            it(addOn, async () => {
                const run = await runPlatform({ ...full, [addOn]: { ...full[addOn], enabled: false } });
                const kept = new Set(run.resources.map(key));
                const removed = baseline.resources.filter((r) => !kept.has(key(r))).map(key).sort();
                assert.ok(removed.length > 0);
                assert.deepEqual(removed, baseline.resources.filter(owned[addOn]).map(key).sort());
                assert.deepEqual(run.resources.filter((r) => !baseline.resources.some((b) => key(b) === key(r))).map(key), [], "nothing new appears");
                assert.equal(run.outputs.platform[addOn], undefined);
            });
        }

        it("all of them: the stack registers nothing", async () => {
            const off = { enabled: false };
            const run = await runProgram({ stack: "dev", config: { imageTag: "v1", platform: { argoRollouts: off, argoCd: off, monitoring: off, certManager: off } } });
            assert.deepEqual(run.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
            assert.deepEqual(run.outputs.platform, {});
        });
    });

    describe("chart inputs", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runPlatform({
                argoRollouts: { version: "2.40.0", dashboard: true, values: { controller: { replicas: 1 } } },
                argoCd: { chart: { path: "./charts/argo-cd" }, namespace: "gitops", values: { configs: { params: { "server.insecure": true } } } },
                monitoring: { chart: { repo: "oci://ghcr.io/acme/charts" }, version: "88.0.0", values: { grafana: { admin: { userKey: "user" } } } },
                certManager: { version: "v1.20.0", values: { replicaCount: 2 } },
            });
        });

        it("pin the configured version from the chart repository, with the user's values over ours", () => {
            const rollouts = named(run, CHART, "argo-rollouts-chart").inputs;
            assert.deepEqual([rollouts.chart, rollouts.version, rollouts.repositoryOpts, rollouts.namespace, rollouts.name],
                ["argo-rollouts", "2.40.0", { repo: "https://argoproj.github.io/argo-helm" }, "argo-rollouts", "argo-rollouts"]);
            assert.deepEqual(rollouts.values.controller, { metrics: { enabled: true, serviceMonitor: { enabled: false } }, replicas: 1 });
            assert.equal(rollouts.values.dashboard.enabled, true);
        });

        it("install a local chart from its path, without version or repository", () => {
            const argoCd = named(run, CHART, "argo-cd-chart").inputs;
            assert.deepEqual([argoCd.chart, argoCd.version, argoCd.repositoryOpts, argoCd.namespace], ["./charts/argo-cd", undefined, undefined, "gitops"]);
            assert.deepEqual(argoCd.values, { crds: { install: true, keep: true }, configs: { params: { "server.insecure": true } } });
        });

        it("address an OCI chart by URL and merge values key by key", () => {
            const monitoring = named(run, CHART, "monitoring-chart").inputs;
            assert.deepEqual([monitoring.chart, monitoring.version, monitoring.repositoryOpts],
                ["oci://ghcr.io/acme/charts/kube-prometheus-stack", "88.0.0", undefined]);
            assert.deepEqual(monitoring.values.grafana.admin, { existingSecret: "grafana-admin", userKey: "user", passwordKey: "admin-password" });
            assert.ok(monitoring.values["kube-state-metrics"].metricLabelsAllowlist.includes(`namespaces=[${PR_NAMESPACE_LABEL}]`));
        });

        it("hand cert-manager its version, repository and values through the component's typed arguments and Helm options", () => {
            const certManager = named(run, CERT_MANAGER_CHART, "cert-manager-chart").inputs;
            assert.equal(certManager.replicaCount, 2);
            assert.deepEqual(certManager.helmOptions, {
                name: "cert-manager",
                namespace: "cert-manager",
                chart: "cert-manager",
                version: "v1.20.0",
                repositoryOpts: { repo: "https://charts.jetstack.io" },
                values: { crds: { enabled: true, keep: true } },
            });
        });

        it("create each installed add-on's namespace with Pod Security labels it can run under", () => {
            const levels = Object.fromEntries(run.ofType(NAMESPACE).map((r) => [r.inputs.metadata.name, r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]]));
            assert.deepEqual(levels, { "argo-rollouts": "baseline", gitops: "baseline", monitoring: "privileged", "cert-manager": "restricted" });
        });
    });

    describe("rollouts controller installed by ArgoCD", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runDevStack({ argoRollouts: { installVia: "argocd" } });
        });

        it("leaves the chart to ArgoCD: Pulumi installs no rollouts chart and owns only the Application", () => {
            assert.equal(run.resources.filter((r) => r.type === "rollout-stacks:platform:ArgoRolloutsController").length, 0);
            assert.ok(!run.ofType(CHART).some((r) => r.inputs.chart === "argo-rollouts"));
            const app = named(run, APPLICATION, "argo-cd-argo-rollouts").inputs;
            assert.deepEqual(app.spec.source.chart, "argo-rollouts");
            assert.deepEqual(app.spec.destination, { server: "https://kubernetes.default.svc", namespace: "argo-rollouts" });
            assert.deepEqual(app.metadata.annotations, { "pulumi.com/waitFor": "jsonpath={.status.health.status}=Healthy" });
            assert.deepEqual(app.metadata.finalizers, ["resources-finalizer.argocd.argoproj.io"]);
        });

        it("makes the environment wait until ArgoCD reports the controller Healthy", () => {
            const environmentNamespace = run.resources.find((r) => r.type === "rollout-stacks:namespace:IsolatedNamespace")!;
            assert.ok(dependsOn(environmentNamespace).includes("argo-cd-argo-rollouts"));
            assert.ok(!dependsOn(environmentNamespace).includes("argo-rollouts-chart"));
        });

        it("still scrapes the controller ArgoCD runs", () => {
            assert.deepEqual(named(run, SERVICE_MONITOR, "monitoring-argo-rollouts-monitor").inputs.spec.namespaceSelector, { matchNames: ["argo-rollouts"] });
        });
    });

    describe("installs outside this stack (custom resources only)", () => {
        let run: ProgramRun;
        const external = { installVia: "external" };
        before(async () => {
            run = await runProgram({ stack: "dev", config: { imageTag: "v1", platform: {
                argoRollouts: external,
                argoCd: { ...external, applications: [shop], cascadeDelete: false },
                monitoring: { ...external, resourceLabels: { prometheus: "platform" } },
                certManager: { ...external, clusterIssuers: [{ name: "letsencrypt", acme: { email: "ops@example.com" } }] },
            } } });
        });

        it("installs no chart, namespace or Secret, and creates the custom resources at once", () => {
            assert.deepEqual([CHART, CERT_MANAGER_CHART, NAMESPACE, SECRET].map((type) => run.ofType(type).length), [0, 0, 0, 0]);
            assert.deepEqual([APP_PROJECT, APPLICATION, SERVICE_MONITOR, PROMETHEUS_RULE, CLUSTER_ISSUER].map((type) => run.ofType(type).length), [1, 1, 1, 1, 1]);
            for (const r of run.resources) {
                assert.deepEqual(dependsOn(r).filter((d) => d.endsWith("-chart")), [], `${key(r)} waits for a chart`);
            }
        });

        it("labels monitors and rules for the Prometheus that runs already", () => {
            for (const r of [...run.ofType(SERVICE_MONITOR), ...run.ofType(PROMETHEUS_RULE)]) {
                assert.deepEqual(r.inputs.metadata.labels, { prometheus: "platform" });
            }
        });

        it("sends no labels map at all when resourceLabels is empty, as the API server would drop it", async () => {
            const unlabelled = await runProgram({ stack: "dev", config: { imageTag: "v1", platform: {
                argoRollouts: external, argoCd: { enabled: false }, certManager: { enabled: false },
                monitoring: { ...external, resourceLabels: {} },
            } } });
            const objects = [...unlabelled.ofType(SERVICE_MONITOR), ...unlabelled.ofType(PROMETHEUS_RULE)];
            assert.equal(objects.length, 2);
            for (const r of objects) {
                assert.ok(!("labels" in r.inputs.metadata), `${key(r)} sends metadata.labels ${JSON.stringify(r.inputs.metadata.labels)}`);
            }
        });

        it("leaves an Application's workloads running when it is deleted, if asked to", () => {
            assert.equal(named(run, APPLICATION, "argo-cd-shop").inputs.metadata.finalizers, undefined);
        });
    });

    it("validates every custom resource against its CRD's schema and every other object against Kubernetes'", async () => {
        const kinds = new Set<string>();
        const runs = [
            await runDevStack({
                argoCd: { applications: [shop] },
                certManager: {
                    networkPolicies: { acmeServers: ["0.0.0.0/0", "::/0"] },
                    clusterIssuers: [{ name: "selfsigned", selfSigned: {} }, { name: "letsencrypt", acme: { email: "ops@example.com" } }],
                },
            }),
            await runDevStack({ argoRollouts: { installVia: "argocd" } }),
        ];
        for (const run of runs) {
            // The platform's objects; charts and components have no schema, the environment's are tested elsewhere.
            const objects = run.resources.filter((r) => ["argo-rollouts", "argo-cd", "monitoring", "cert-manager"].some((prefix) => r.name.startsWith(prefix)) &&
                ![CHART, CERT_MANAGER_CHART].includes(r.type) && !r.type.startsWith("rollout-stacks:"));
            for (const r of objects) {
                try {
                    const verdict = await validateCustomResource(r) ?? validateKubernetesObject(r);
                    assert.equal(verdict, "valid", `${key(r)} has no schema to check against`);
                    kinds.add(r.type.split(":")[2]!);
                } catch (error) {
                    assert.fail(`${key(r)}: ${(error as Error).message}`);
                }
            }
        }
        assert.deepEqual([...kinds].sort(),
            ["AppProject", "Application", "ClusterIssuer", "ConfigMap", "Namespace", "NetworkPolicy", "PrometheusRule", "Secret", "ServiceMonitor"]);
    });

    it("alerts on crash-looping pods by the label PR namespaces actually carry", async () => {
        const pr = await runProgram({ config: { pr: { number: 123 } } });
        const labels = pr.ofType(NAMESPACE)[0]!.inputs.metadata.labels as Record<string, string>;
        assert.equal(labels[PR_NAMESPACE_LABEL], "123");
        assert.ok(KUBE_STATE_LABEL_ALLOWLIST.includes(`namespaces=[${PR_NAMESPACE_LABEL}]`));
        const platform = await runPlatform({});
        const rule = named(platform, PROMETHEUS_RULE, "monitoring-alerts").inputs.spec.groups
            .flatMap((g: any) => g.rules).find((r: any) => r.alert === "PrEnvironmentPodCrashLooping");
        assert.match(rule.expr, new RegExp(`kube_namespace_labels\\{${kubeStateLabel(PR_NAMESPACE_LABEL)}!=""\\}`));
    });
});
