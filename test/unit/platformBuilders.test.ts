import * as assert from "node:assert/strict";
import { applicationSpec, appProjectSpec, ArgoCdApplication, rolloutOwnedFields } from "../../components/argoCd";
import { argoRolloutsApplication, argoRolloutsMetrics, argoRolloutsValues } from "../../components/argoRolloutsController";
import { certManagerChartArgs, clusterIssuerSpec, LETS_ENCRYPT } from "../../components/certManager";
import { monitoringValues } from "../../components/monitoring";
import { ALERTS, platformAlertRules } from "../../lib/alertRules";
import { DASHBOARD_TAG, platformDashboards } from "../../lib/dashboards";
import { chartReference, mergeValues } from "../../lib/helmCharts";
import { errorRatio, requestRate, roleHashes } from "../../lib/rolloutMetrics";

const appMetrics = { requests: "http_requests_total", statusLabel: "code", latency: "http_request_duration_seconds" };

/** Parentheses, brackets and braces outside string literals close in order: what a broken concatenation breaks first. */
function assertBalanced(expr: string): void {
    const closing: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
    const stack: string[] = [];
    let quoted = false;
    for (const char of expr) {
        if (char === "\"") {
            quoted = !quoted;
        } else if (!quoted && char in closing) {
            stack.push(closing[char]!);
        } else if (!quoted && [")", "]", "}"].includes(char)) {
            assert.equal(char, stack.pop(), `unbalanced ${char} in ${expr}`);
        }
    }
    assert.equal(quoted, false, `unterminated string in ${expr}`);
    assert.deepEqual(stack, [], `unclosed brackets in ${expr}`);
}

interface Panel {
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource: { type: string; uid: string };
    targets: { refId: string; expr: string; legendFormat?: string }[];
}

describe("Grafana dashboards", () => {
    const dashboards = platformDashboards(appMetrics);
    /** Grafana reads the JSON text the ConfigMap holds, not the objects: check that. */
    const models = dashboards.map((d) => JSON.parse(JSON.stringify(d.model)) as Record<string, any>);
    const panels = (title: string): Panel[] => models.find((m) => m.title === title)!.panels as Panel[];
    const exprs = (title: string, panel: string): string[] => panels(title).find((p) => p.title === panel)!.targets.map((t) => t.expr);

    it("are the rollout progress, golden signals and traffic split dashboards, uniquely identified", () => {
        assert.deepEqual(models.map((m) => m.title), ["Rollout progress", "Application golden signals", "Traffic split: stable vs canary"]);
        assert.deepEqual(models.map((m) => m.uid), dashboards.map((d) => `rollout-stacks-${d.slug}`));
        for (const model of models) {
            assert.ok(model.uid.length <= 40, `Grafana caps uids at 40 characters: ${model.uid}`);
            assert.deepEqual(model.tags, [DASHBOARD_TAG]);
            assert.ok(Number.isInteger(model.schemaVersion) && model.schemaVersion >= 36);
        }
    });

    it("lay out panels with unique ids on Grafana's 24-column grid without overlap", () => {
        for (const model of models) {
            const ps = model.panels as Panel[];
            assert.equal(new Set(ps.map((p) => p.id)).size, ps.length);
            for (const p of ps) {
                assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} leaves the grid`);
            }
            ps.forEach((a, i) => ps.slice(i + 1).forEach((b) => {
                const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w &&
                    a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
                assert.ok(!overlap, `${a.title} overlaps ${b.title}`);
            }));
        }
    });

    it("query the Prometheus data source the viewer picks, with a unique refId per target", () => {
        for (const model of models) {
            assert.deepEqual(model.templating.list[0], { ...model.templating.list[0], type: "datasource", name: "datasource", query: "prometheus" });
            for (const p of model.panels as Panel[]) {
                assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" });
                assert.ok(p.targets.length > 0, `${p.title} has no query`);
                assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length);
                p.targets.forEach((t) => assertBalanced(t.expr));
            }
        }
    });

    it("show each Rollout's phase, canary step and canary weight", () => {
        assert.deepEqual(panels("Rollout progress").map((p) => [p.type, p.title]), [
            ["table", "Phase per Rollout"], ["timeseries", "Canary step"], ["timeseries", "Canary weight"], ["timeseries", "Replicas"],
        ]);
        assert.match(exprs("Rollout progress", "Phase per Rollout")[0]!, /^max by \(namespace, name, strategy, phase\) \(rollout_info\{namespace=~"\$namespace", name=~"\$rollout"\}\)$/);
        assert.match(exprs("Rollout progress", "Canary step")[0]!, /argo_rollout_current_step\{namespace=~"\$namespace", rollout=~"\$rollout"\}/);
        const [replicaShare, trafficWeight] = exprs("Rollout progress", "Canary weight");
        assert.match(replicaShare!, /^100 \* max by \(namespace, name\) \(rollout_info_replicas_updated\{.*\}\) \/ max by \(namespace, name\) \(rollout_info_replicas_desired\{.*\}\)$/);
        assert.match(trafficWeight!, /argo_rollout_canary_weight/);
    });

    it("split rate, error ratio and p99 latency of the selected services by image version", () => {
        assert.deepEqual(panels("Application golden signals").map((p) => p.title), ["Request rate by version", "Error ratio by version", "p99 latency by version"]);
        const [rate] = exprs("Application golden signals", "Request rate by version");
        assert.match(rate!, /^sum by \(version\) \(sum by \(namespace, pod\) \(rate\(http_requests_total\{namespace=~"\$namespace", job=~"\$service"\}\[\$__rate_interval\]\)\)/);
        assert.match(rate!, /group_left \(version\) .*kube_pod_container_info\{namespace=~"\$namespace", container=~"\$service"\}/);
        const [errors] = exprs("Application golden signals", "Error ratio by version");
        assert.match(errors!, /http_requests_total\{namespace=~"\$namespace", job=~"\$service", code=~"5\.\."\}/);
        const [p99] = exprs("Application golden signals", "p99 latency by version");
        assert.match(p99!, /^histogram_quantile\(0\.99, sum by \(version, le\) \(sum by \(namespace, pod, le\) \(rate\(http_request_duration_seconds_bucket\{/);
        assert.ok(panels("Application golden signals").every((p) => p.targets.every((t) => t.legendFormat === "{{version}}")));
    });

    it("compare stable and canary traffic and errors per Rollout", () => {
        const scope = { namespace: "$namespace", rollout: "$rollout" };
        const [stable, canary] = exprs("Traffic split: stable vs canary", "Requests: stable vs canary");
        assert.equal(stable, requestRate(appMetrics, "stable", scope, "$__rate_interval"));
        assert.equal(canary, requestRate(appMetrics, "canary", scope, "$__rate_interval"));
        assert.deepEqual(exprs("Traffic split: stable vs canary", "Canary share of requests"), [`${canary} / (${canary} + ${stable})`]);
        assert.deepEqual(exprs("Traffic split: stable vs canary", "Error ratio: stable vs canary"),
            [errorRatio(appMetrics, "stable", scope, "$__rate_interval"), errorRatio(appMetrics, "canary", scope, "$__rate_interval")]);
    });

    it("follow the configured metric names", () => {
        const custom = platformDashboards({ requests: "shop_requests_total", statusLabel: "status", latency: "shop_latency_seconds" })
            .flatMap((d) => (d.model.panels ?? []) as unknown as Panel[]).flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
        assert.match(custom, /shop_requests_total\{[^}]*status=~"5\.\."/);
        assert.match(custom, /shop_latency_seconds_bucket/);
        assert.doesNotMatch(custom, /http_requests_total|http_request_duration_seconds/);
    });
});

describe("stable and canary queries", () => {
    it("take the stable ReplicaSet from the Rollout's stable hash, and the canary as the current one unless it is stable", () => {
        assert.equal(roleHashes("stable"),
            `max by (namespace, hash, rollout) (label_replace(argo_rollout_revision_info{stable_hash!=""}, "hash", "$1", "stable_hash", "(.+)"))`);
        assert.equal(roleHashes("canary"), `(max by (namespace, hash, rollout) (label_replace(argo_rollout_revision_info{current_hash!=""}, ` +
            `"hash", "$1", "current_hash", "(.+)")) unless on (namespace, hash) ${roleHashes("stable")})`);
    });

    it("sum requests per pod-template hash, the label the environments' ServiceMonitors keep", () => {
        assert.equal(requestRate(appMetrics, "stable"), `sum by (namespace, rollout) (sum by (namespace, hash) (label_replace(rate(http_requests_total{}[5m]), ` +
            `"hash", "$1", "rollouts_pod_template_hash", "(.+)")) * on (namespace, hash) group_left (rollout) ${roleHashes("stable")})`);
    });

    it("count a missing 5xx series as no errors rather than as no data", () => {
        assert.match(errorRatio(appMetrics, "canary"), /^\(\(sum by .*code=~"5\.\.".* or sum by .* \* 0\) \/ sum by .*\)$/);
    });
});

describe("alert rules", () => {
    const spec = platformAlertRules({ appMetrics, canaryErrorMargin: 0.02 });
    const rules = (spec.groups ?? []).flatMap((g) => g.rules ?? []);
    const rule = (alert: string) => rules.find((r) => r.alert === alert)!;

    it("are the four platform alerts, each with a severity, a summary and a duration", () => {
        assert.deepEqual(rules.map((r) => [r.alert, r.labels?.severity, r.for]), [
            [ALERTS.rolloutAborted, "warning", "1m"],
            [ALERTS.rolloutDegraded, "critical", "5m"],
            [ALERTS.canaryErrorRate, "warning", "2m"],
            [ALERTS.prCrashLooping, "warning", "10m"],
        ]);
        for (const r of rules) {
            assert.ok(r.annotations?.summary, `${r.alert} has no summary`);
            assertBalanced(String(r.expr));
        }
    });

    it("fire on an aborted Rollout and on one the controller cannot progress", () => {
        assert.equal(rule(ALERTS.rolloutAborted).expr, `max by (namespace, name) (rollout_info{phase="Abort"}) > 0`);
        assert.equal(rule(ALERTS.rolloutDegraded).expr, `max by (namespace, name, phase) (rollout_info{phase=~"Error|Timeout|InvalidSpec"}) > 0`);
    });

    it("fire when the canary's error ratio exceeds the stable's by the margin, while the canary serves", () => {
        assert.equal(rule(ALERTS.canaryErrorRate).expr,
            `${errorRatio(appMetrics, "canary")} > on (namespace, rollout) (${errorRatio(appMetrics, "stable")} + 0.02) ` +
            `and on (namespace, rollout) ${requestRate(appMetrics, "canary")} > 0`);
    });

    it("fire on crash-looping pods only in PR namespaces, naming the PR", () => {
        const expr = String(rule(ALERTS.prCrashLooping).expr);
        assert.match(expr, /kube_pod_container_status_waiting_reason\{reason="CrashLoopBackOff"\}/);
        assert.match(expr, /\* on \(namespace\) group_left \(pr\) max by \(namespace, pr\) \(label_replace\(kube_namespace_labels\{label_rollout_stacks_io_pr!=""\}, "pr", "\$1", "label_rollout_stacks_io_pr", "\(\.\+\)"\)\)$/);
        assert.match(rule(ALERTS.prCrashLooping).annotations!.summary!, /PR \{\{ \$labels\.pr \}\}/);
    });
});

describe("chart sources and values", () => {
    it("address a repository chart by name, an OCI chart by URL and a local chart by path", () => {
        assert.deepEqual(chartReference({ repo: "https://argoproj.github.io/argo-helm", name: "argo-cd" }, "10.9.0"),
            { chart: "argo-cd", version: "10.9.0", repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" } });
        assert.deepEqual(chartReference({ repo: "oci://ghcr.io/acme/charts/", name: "argo-cd" }, "10.9.0"),
            { chart: "oci://ghcr.io/acme/charts/argo-cd", version: "10.9.0" });
        assert.deepEqual(chartReference({ path: "./charts/argo-cd" }, "10.9.0"), { chart: "./charts/argo-cd" });
    });

    it("merge values as helm -f does: maps key by key, lists replaced", () => {
        assert.deepEqual(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 }), { a: { b: 1, c: [3] }, d: 1, e: 2 });
    });

    it("let user values override the rollouts chart's and keep its metrics Service", () => {
        const values = argoRolloutsValues(true, { controller: { replicas: 1 }, dashboard: { readonly: true } });
        assert.deepEqual(values.controller, { metrics: { enabled: true, serviceMonitor: { enabled: false } }, replicas: 1 });
        assert.deepEqual(values.dashboard, { enabled: true, service: { type: "ClusterIP" }, readonly: true });
        assert.equal(values.keepCRDs, true);
    });

    it("scrape the rollouts controller keeping the namespaces it reports", () => {
        assert.deepEqual(argoRolloutsMetrics("argo-rollouts"), {
            name: "argo-rollouts",
            namespace: "argo-rollouts",
            selector: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/instance": "argo-rollouts", "app.kubernetes.io/component": "rollouts-controller" },
            port: "metrics",
            honorLabels: true,
        });
    });

    it("turn the operator's hook-made webhook certificates over to cert-manager, or turn the webhooks off", () => {
        const off = monitoringValues("grafana-admin", "off") as any;
        assert.deepEqual(off.prometheusOperator, { tls: { enabled: false }, admissionWebhooks: { enabled: false, patch: { enabled: false }, certManager: { enabled: false } } });
        const viaCertManager = monitoringValues("grafana-admin", { certManager: [] }) as any;
        assert.deepEqual(viaCertManager.prometheusOperator.admissionWebhooks, { enabled: true, patch: { enabled: false }, certManager: { enabled: true } });
        assert.deepEqual(off.grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
        assert.equal(off.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues, false);
    });

    it("pass cert-manager values the component types as typed arguments, the rest as Helm values", () => {
        const args = certManagerChartArgs("cert-manager", {
            chart: { path: "./charts/cert-manager" },
            version: "v1.21.2",
            values: { replicaCount: 2, prometheus: { enabled: true }, dns01RecursiveNameservers: "8.8.8.8:53" },
        });
        assert.equal(args.replicaCount, 2);
        assert.deepEqual(args.prometheus, { enabled: true });
        assert.deepEqual(args.helmOptions?.values, { crds: { enabled: true, keep: true }, dns01RecursiveNameservers: "8.8.8.8:53" });
        assert.deepEqual([args.helmOptions?.chart, args.helmOptions?.version, args.helmOptions?.repositoryOpts],
            ["./charts/cert-manager", undefined, { repo: "" }]);
    });
});

describe("ArgoCD objects", () => {
    const shop: ArgoCdApplication = {
        name: "shop",
        source: { repoURL: "https://github.com/acme/deploy.git", path: "apps/shop", targetRevision: "main" },
        destination: { namespace: "shop" },
    };

    it("sync applications automatically with prune, self-heal, a created namespace and the ignored differences respected", () => {
        const spec = applicationSpec(shop, "rollout-stacks");
        assert.deepEqual(spec.syncPolicy?.automated, { prune: true, selfHeal: true });
        assert.deepEqual(spec.syncPolicy?.syncOptions, ["CreateNamespace=true", "RespectIgnoreDifferences=true"]);
        assert.deepEqual(spec.destination, { server: "https://kubernetes.default.svc", namespace: "shop" });
        assert.deepEqual(spec.source, { repoURL: "https://github.com/acme/deploy.git", path: "apps/shop", targetRevision: "main" });
        assert.deepEqual(spec.ignoreDifferences, rolloutOwnedFields(false));
    });

    it("leave the fields the rollouts controller writes to it", () => {
        assert.deepEqual(rolloutOwnedFields(false), [
            { group: "argoproj.io", kind: "Rollout", jsonPointers: ["/status"] },
            { group: "", kind: "Service", jsonPointers: ["/spec/selector/rollouts-pod-template-hash"] },
        ]);
        assert.deepEqual(rolloutOwnedFields(true)[0], { group: "argoproj.io", kind: "Rollout", jsonPointers: ["/status", "/spec/replicas"] });
    });

    it("register the rollouts chart as an Application pulumi waits on, applied server-side", () => {
        const app = argoRolloutsApplication("argo-rollouts", { repo: "https://argoproj.github.io/argo-helm", chartName: "argo-rollouts", version: "2.43.1", namespace: "argo-rollouts" });
        const spec = applicationSpec(app, "rollout-stacks");
        assert.deepEqual(spec.source, {
            repoURL: "https://argoproj.github.io/argo-helm",
            chart: "argo-rollouts",
            targetRevision: "2.43.1",
            helm: { releaseName: "argo-rollouts", valuesObject: argoRolloutsValues(false, {}) },
        });
        assert.ok(spec.syncPolicy?.syncOptions?.includes("ServerSideApply=true"));
        assert.equal(app.waitUntilHealthy, true);
    });

    it("permit exactly the applications' repositories, destinations and cluster-scoped kinds unless told otherwise", () => {
        const rollouts = argoRolloutsApplication("argo-rollouts", { repo: "https://argoproj.github.io/argo-helm", chartName: "argo-rollouts", version: "2.43.1", namespace: "argo-rollouts" });
        const spec = appProjectSpec({ name: "rollout-stacks" }, [shop, { ...shop, name: "shop-2" }, rollouts]);
        assert.deepEqual(spec.sourceRepos, ["https://github.com/acme/deploy.git", "https://argoproj.github.io/argo-helm"]);
        assert.deepEqual(spec.destinations, [
            { server: "https://kubernetes.default.svc", namespace: "shop" },
            { server: "https://kubernetes.default.svc", namespace: "argo-rollouts" },
        ]);
        assert.deepEqual(spec.clusterResourceWhitelist?.map((r) => `${r.group}/${r.kind}`),
            ["/Namespace", "apiextensions.k8s.io/CustomResourceDefinition", "rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding"]);
        assert.deepEqual(appProjectSpec({ name: "p", sourceRepos: ["*"] }, [shop]).sourceRepos, ["*"]);
        assert.deepEqual(appProjectSpec({ name: "p" }, []).clusterResourceWhitelist, []);
    });
});

describe("ClusterIssuers", () => {
    it("sign certificates themselves, or order them from ACME answering HTTP-01 through the ingress class", () => {
        assert.deepEqual(clusterIssuerSpec({ name: "selfsigned", selfSigned: true }), { selfSigned: {} });
        assert.deepEqual(clusterIssuerSpec({ name: "letsencrypt", acme: { email: "ops@example.com" } }), {
            acme: {
                email: "ops@example.com",
                server: LETS_ENCRYPT,
                privateKeySecretRef: { name: "letsencrypt-account-key" },
                solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
            },
        });
    });
});
