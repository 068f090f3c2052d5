import * as assert from "node:assert/strict";
import { RESTARTED_AT_ANNOTATION, RESTARTED_AT_PATH } from "../../lib/restart";
import { assertDeletedWithNamespace } from "../support/deletion";
import { validateCustomResource } from "../support/crdModels";
import { validateKubernetesObject } from "../support/kubernetesModels";
import { ProgramRun, RegisteredResource, revealSecrets, runProgram } from "../support/program";
import { catalogue, catalogueNames, ungatedStackFileConfig } from "../support/projectConfig";
import { PREVIOUS_IMAGE_ANNOTATION } from "../../lib/notifications";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CATALOGUE = catalogueNames();

const deployedAt = "2025-01-15T14:30:00Z";

/** What the controller needs to find the two AnalysisTemplate arguments for one service. */
const measuresCanaryOf = (service: string) => [
    { name: "service-name", value: service },
    { name: "pod-template-hash", valueFrom: { podTemplateHashValue: "Latest" } },
];

function rollout(run: ProgramRun, name: string): Record<string, any> {
    return run.named(ROLLOUT, name).inputs;
}

function containerOf(run: ProgramRun, name: string): Record<string, any> {
    return rollout(run, name).spec.template.spec.containers[0];
}

/**
 * The environment part of a stack file, the image tag and the `environment` block, plus `more`.
 * The platform block stays out: it needs a secret the stack file does not carry (Grafana's admin
 * password), and the platform's own tests cover it.
 */
function stackConfig(stack: "dev" | "prod", more: Record<string, unknown> = {}): Record<string, unknown> {
    const { imageTag, environment } = ungatedStackFileConfig(stack);
    return { imageTag, environment, ...more };
}

function prodEnvironment(): Record<string, any> {
    return ungatedStackFileConfig("prod").environment as Record<string, any>;
}

describe("prod environment (canary)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt }) });
    });

    it("runs every catalogue service as a Rollout named after it in namespace prod, at imageTag, with prod's replicas", () => {
        assert.deepEqual(run.ofType(ROLLOUT).map((r) => r.inputs.metadata.name).sort(), [...CATALOGUE].sort());
        const replicas = prodEnvironment().replicas as Record<string, number>;
        assert.deepEqual(Object.keys(replicas).sort(), [...CATALOGUE].sort(), "Pulumi.prod.yaml sizes every service, none runs the catalogue's 1");
        for (const name of CATALOGUE) {
            const inputs = rollout(run, name);
            assert.equal(inputs.metadata.namespace, "prod");
            assert.equal(inputs.spec.replicas, replicas[name], name);
            assert.ok(replicas[name]! >= 2, `${name} needs a second pod to survive one failing`);
            assert.equal(inputs.spec.revisionHistoryLimit, 5);
            assert.deepEqual(inputs.spec.selector, { matchLabels: { "app.kubernetes.io/name": name } });
            assert.equal(containerOf(run, name).image, `ghcr.io/pilab-hu/${name}:v1.0.0`);
        }
    });

    it("walks exactly setWeight 20, pause 2m, analysis success-rate, setWeight 50, pause 2m, setWeight 100", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(rollout(run, name).spec.strategy, {
                canary: {
                    stableService: `${name}-stable`,
                    canaryService: `${name}-canary`,
                    maxSurge: "25%",
                    maxUnavailable: 0,
                    steps: [
                        { setWeight: 20 },
                        { pause: { duration: "2m" } },
                        { analysis: { templates: [{ templateName: "success-rate" }], args: measuresCanaryOf(name) } },
                        { setWeight: 50 },
                        { pause: { duration: "2m" } },
                        { setWeight: 100 },
                    ],
                },
            });
        }
    });

    it("runs the pods as PR Deployments do: the shared secure pod template", () => {
        const pod = rollout(run, "payment-service").spec.template.spec;
        const [container] = pod.containers;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.automountServiceAccountToken, false);
        assert.deepEqual(container.securityContext, {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] },
        });
        assert.equal(container.readinessProbe.httpGet.path, "/healthz");
        assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
        assert.equal(rollout(run, "payment-service").spec.template.metadata.labels["rollout-stacks.io/environment"], "prod");
    });

    it("puts a root, stable, canary and headless metrics Service beside each Rollout and leaves stable and canary selectors to the controller", () => {
        for (const name of CATALOGUE) {
            const roles = { [name]: [], [`${name}-stable`]: ["spec.selector"], [`${name}-canary`]: ["spec.selector"], [`${name}-metrics`]: [] };
            for (const [serviceName, ignored] of Object.entries(roles)) {
                const service = run.named(SERVICE, serviceName);
                assert.deepEqual(service.inputs.spec.selector, { "app.kubernetes.io/name": name }, serviceName);
                assert.deepEqual(service.options.ignoreChanges ?? [], ignored, serviceName);
            }
            assert.equal(run.named(SERVICE, `${name}-metrics`).inputs.spec.clusterIP, "None");
            assert.equal(run.named(SERVICE, `${name}-metrics`).inputs.metadata.labels["rollout-stacks.io/scrape"], "true");
            assert.equal(run.named(SERVICE, name).inputs.metadata.labels["rollout-stacks.io/scrape"], undefined);
        }
        assert.equal(run.ofType(SERVICE).length, 4 * CATALOGUE.length);
    });

    it("serves each service at https://shop.pilab.hu/<service> through the Service that selects every pod, with one certificate", () => {
        catalogue().forEach(({ name, port }, index) => {
            const ingress = run.named(INGRESS, name).inputs;
            assert.deepEqual(ingress.spec.rules, [{
                host: "shop.pilab.hu",
                http: { paths: [{ path: `/${name}`, pathType: "Prefix", backend: { service: { name, port: { number: port } } } }] },
            }]);
            assert.deepEqual(ingress.spec.tls, [{ hosts: ["shop.pilab.hu"], secretName: "shop-pilab-hu-tls" }]);
            assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], index === 0 ? "letsencrypt" : undefined);
        });
    });

    it("carries prod's strict thresholds into the analysis templates, measuring one ReplicaSet of one service", () => {
        const successRate = run.named(ANALYSIS_TEMPLATE, "success-rate").inputs;
        assert.equal(successRate.metadata.namespace, "prod");
        assert.deepEqual(successRate.spec.args, [{ name: "service-name" }, { name: "pod-template-hash" }]);
        const [metric] = successRate.spec.metrics;
        assert.equal(metric.successCondition, "result[0] >= 0.99");
        assert.equal(metric.failureCondition, "result[0] < 0.99");
        assert.deepEqual({ interval: metric.interval, count: metric.count, failureLimit: metric.failureLimit }, { interval: "30s", count: 4, failureLimit: 0 });
        assert.equal(metric.provider.prometheus.address, "http://prometheus-operated.monitoring.svc:9090");
        const selector = 'namespace="prod", job="{{args.service-name}}", rollouts_pod_template_hash="{{args.pod-template-hash}}"';
        assert.equal(metric.provider.prometheus.query,
            `(sum(rate(http_requests_total{${selector}, code!~"5.."}[60s])) / sum(rate(http_requests_total{${selector}}[60s]))) or on() vector(NaN)`);

        const [latency] = run.named(ANALYSIS_TEMPLATE, "latency-p99").inputs.spec.metrics;
        assert.equal(latency.successCondition, "result[0] <= 300");
        assert.equal(latency.failureCondition, "result[0] > 300");
        assert.match(latency.provider.prometheus.query, /^\(histogram_quantile\(0\.99, sum by \(le\) \(rate\(http_request_duration_seconds_bucket\{namespace="prod", job="\{\{args\.service-name\}\}"/);
    });

    it("writes deployedAt into every Rollout's pod template and reports it", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(rollout(run, name).spec.template.metadata.annotations, { [RESTARTED_AT_ANNOTATION]: deployedAt });
            assert.equal(rollout(run, name).spec.restartAt, undefined);
        }
        assert.equal(run.outputs.lastDeployedAt, deployedAt);
    });

    it("never makes pulumi up wait on a Rollout and leaves pause state and status to the controller", () => {
        for (const r of run.ofType(ROLLOUT)) {
            assert.equal(r.inputs.metadata.annotations["pulumi.com/skipAwait"], "true");
            assert.equal(r.inputs.metadata.annotations["pulumi.com/patchForce"], "true");
            assert.equal("paused" in r.inputs.spec, false);
            assert.equal("status" in r.inputs, false);
            assert.deepEqual(r.options.ignoreChanges ?? [], []);
        }
    });

    it("scrapes each service once, through its metrics Service, with the ReplicaSet hash as a label", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(run.named(SERVICE_MONITOR, name).inputs.spec, {
                jobLabel: "app.kubernetes.io/name",
                selector: { matchLabels: { "app.kubernetes.io/name": name, "rollout-stacks.io/scrape": "true" } },
                podTargetLabels: ["rollouts-pod-template-hash"],
                endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
            });
        }
    });

    it("creates namespace prod under Pod Security restricted, without the PR quota, letting in the ingress controller and Prometheus", () => {
        const labels = run.named(NAMESPACE, "prod").inputs.metadata.labels;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(labels["rollout-stacks.io/environment"], "prod");
        assert.equal(run.ofType("kubernetes:core/v1:ResourceQuota").length, 0);
        assert.equal(run.ofType("kubernetes:core/v1:LimitRange").length, 0);
        assert.deepEqual(run.named(NETWORK_POLICY, "default-deny").inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(run.named(NETWORK_POLICY, "allow-monitoring").inputs.spec.ingress, [{
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
            ports: [...new Set(catalogue().map((s) => s.port))].map((port) => ({ protocol: "TCP", port })),
        }]);
        assert.ok(run.named(NETWORK_POLICY, "allow-ingress-controller"));
    });

    it("leaves every Rollout, Service, Ingress, policy and template to be deleted with namespace prod", () => {
        assertDeletedWithNamespace(run, "prod");
    });

    it("exports namespace, url, strategy, lastDeployedAt and per service its image, Rollout, URLs and the images it has run Healthy", () => {
        assert.equal(run.outputs.environment, "prod");
        assert.equal(run.outputs.namespace, "prod");
        assert.equal(run.outputs.url, "https://shop.pilab.hu");
        assert.equal(run.outputs.strategy, "canary");
        assert.equal(run.outputs.active, true);
        assert.deepEqual(run.outputs.services["order-service"], {
            image: "ghcr.io/pilab-hu/order-service:v1.0.0",
            rollout: "order-service",
            url: "https://shop.pilab.hu/order-service",
            clusterUrl: "http://order-service.prod.svc.cluster.local:8080",
            previewUrl: "http://order-service-canary.prod.svc.cluster.local:8080",
            previousImage: "",
            // Not yet created when the program reads it back: nothing Healthy to record.
            healthyImages: [],
        });
    });

    it("names each service's previous image for notifications, from the stack's own outputs of its last update", async () => {
        const v0 = "ghcr.io/pilab-hu/cart-service:v0.9.0";
        const released = await runProgram({
            stack: "prod",
            config: { ...stackConfig("prod"), images: { "cart-service": "ghcr.io/pilab-hu/cart-service:v1.1.0" } },
            lastOutputs: { services: {
                "cart-service": { image: "ghcr.io/pilab-hu/cart-service:v1.0.0", previousImage: v0 },
                "order-service": { image: "ghcr.io/pilab-hu/order-service:v1.0.0", previousImage: "ghcr.io/pilab-hu/order-service:v0.9.0" },
            } },
        });
        const previous = (name: string) => rollout(released, name).metadata.annotations?.[PREVIOUS_IMAGE_ANNOTATION];
        assert.equal(previous("cart-service"), "ghcr.io/pilab-hu/cart-service:v1.0.0", "a new image: the one it ran before");
        assert.equal(previous("order-service"), "ghcr.io/pilab-hu/order-service:v0.9.0", "an unchanged image keeps its previous one: nothing to update");
        assert.equal(previous("payment-service"), undefined, "no record: no annotation");
        assert.equal(released.outputs.services["cart-service"].previousImage, "ghcr.io/pilab-hu/cart-service:v1.0.0");
        assert.equal(rollout(run, "cart-service").metadata.annotations?.[PREVIOUS_IMAGE_ANNOTATION], undefined, "a first update knows no previous image");
        assert.ok(!previous("cart-service")!.includes(v0));
    });
});

describe("dev environment (blue/green)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stack: "dev", config: stackConfig("dev") });
    });

    it("runs blue/green with an active and a preview Service, auto-promotion and a short scale-down delay", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(rollout(run, name).spec.strategy, {
                blueGreen: { activeService: name, previewService: `${name}-preview`, autoPromotionEnabled: true, scaleDownDelaySeconds: 30 },
            });
            assert.equal(rollout(run, name).spec.replicas, 1);
            assert.equal(containerOf(run, name).image, `ghcr.io/pilab-hu/${name}:main`);
            for (const serviceName of [name, `${name}-preview`]) {
                assert.deepEqual(run.named(SERVICE, serviceName).options.ignoreChanges, ["spec.selector"]);
            }
        }
        assert.deepEqual(run.ofType(SERVICE).map((s) => s.inputs.metadata.name).filter((n: string) => n.startsWith("cart-service")).sort(),
            ["cart-service", "cart-service-metrics", "cart-service-preview"]);
    });

    it("serves dev.<domain> through the active Services and exports where the preview answers", () => {
        const ingress = run.named(INGRESS, "cart-service").inputs;
        assert.equal(ingress.spec.rules[0].host, "dev.shop.pilab.hu");
        assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, "cart-service");
        assert.equal(run.outputs.url, "https://dev.shop.pilab.hu");
        assert.equal(run.outputs.strategy, "blueGreen");
        assert.equal(run.outputs.services["cart-service"].previewUrl, "http://cart-service-preview.dev.svc.cluster.local:8080");
        assert.equal(run.outputs.lastDeployedAt, null);
    });

    it("puts no restart annotation on the Rollouts while deployedAt is unset", () => {
        for (const r of run.ofType(ROLLOUT)) {
            assert.deepEqual(r.inputs.spec.template.metadata.annotations, {});
        }
    });

    it("gives the analysis templates the default thresholds", () => {
        const [metric] = run.named(ANALYSIS_TEMPLATE, "success-rate").inputs.spec.metrics;
        assert.equal(metric.successCondition, "result[0] >= 0.95");
        assert.deepEqual({ interval: metric.interval, count: metric.count, failureLimit: metric.failureLimit }, { interval: "1m", count: 3, failureLimit: 1 });
        assert.equal(run.named(ANALYSIS_TEMPLATE, "latency-p99").inputs.spec.metrics[0].successCondition, "result[0] <= 1000");
    });
});

/** Every registered resource by type and Pulumi name, with its inputs as the engine would diff them. */
function inputsByResource(run: ProgramRun): Map<string, string> {
    return new Map(run.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(revealSecrets(r.inputs))]));
}

describe("environment releases and restarts", () => {
    it("changes only the released service's Rollout, and in it only the image, when one image is released", async () => {
        const before = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt }) });
        const image = "ghcr.io/pilab-hu/cart-service:v1.1.0";
        const after = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt, images: { "cart-service": image } }) });
        const [old, now] = [inputsByResource(before), inputsByResource(after)];
        assert.deepEqual([...now.keys()].sort(), [...old.keys()].sort());
        const changed = [...now.keys()].filter((key) => now.get(key) !== old.get(key));
        assert.deepEqual(changed, [`${ROLLOUT}::prod-cart-service-rollout`]);

        const released = JSON.parse(now.get(changed[0]!)!);
        released.spec.template.spec.containers[0].image = "ghcr.io/pilab-hu/cart-service:v1.0.0";
        assert.deepEqual(released, JSON.parse(old.get(changed[0]!)!));
        assert.equal(after.outputs.services["cart-service"].image, image);
    });

    it("restarts in place through spec.restartAt, not the template, when restartStrategy is restartAt", async () => {
        const run = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt, environment: { ...prodEnvironment(), restartStrategy: "restartAt" } }) });
        for (const name of CATALOGUE) {
            assert.equal(rollout(run, name).spec.restartAt, deployedAt);
            assert.deepEqual(rollout(run, name).spec.template.metadata.annotations, {});
        }
        assert.equal(run.outputs.lastDeployedAt, deployedAt);
    });

    it("scales every Rollout to 0 when inactive, keeps everything else, and holds the restart annotation", async () => {
        const active = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt }) });
        const run = await runProgram({ stack: "prod", config: stackConfig("prod", { deployedAt, active: false }) });
        for (const r of run.ofType(ROLLOUT)) {
            assert.equal(r.inputs.spec.replicas, 0);
            assert.deepEqual(r.options.ignoreChanges, [RESTARTED_AT_PATH]);
        }
        assert.deepEqual(run.resources.map((r) => `${r.type}::${r.name}`).sort(), active.resources.map((r) => `${r.type}::${r.name}`).sort());
        assert.equal(run.outputs.active, false);
    });

    it("holds spec.restartAt instead when an inactive environment restarts in place", async () => {
        const run = await runProgram({ stack: "prod", config: stackConfig("prod", {
            deployedAt, active: false, environment: { ...prodEnvironment(), restartStrategy: "restartAt" },
        }) });
        for (const r of run.ofType(ROLLOUT)) {
            assert.deepEqual(r.options.ignoreChanges, ["spec.restartAt"]);
        }
    });

    it("routes an NGINX canary through each service's own Ingress onto its stable Service", async () => {
        const environment = prodEnvironment();
        const run = await runProgram({ stack: "prod", config: stackConfig("prod", { environment: {
            ...environment, strategy: { canary: { ...environment.strategy.canary, trafficRouting: { nginx: {} } } },
        } }) });
        for (const name of CATALOGUE) {
            assert.deepEqual(rollout(run, name).spec.strategy.canary.trafficRouting, { nginx: { stableIngress: name } });
            assert.equal(run.named(INGRESS, name).inputs.spec.rules[0].http.paths[0].backend.service.name, `${name}-stable`);
        }
    });

    it("spells resource quantities in Rollout templates as the API server does, so a respelling is no release", async () => {
        const services = [{ name: "cart-service", image: "ghcr.io/pilab-hu/cart-service", port: 8080,
            resources: { requests: { cpu: "0.1", memory: "65536Ki" }, limits: { cpu: "1000m", memory: "0.5Gi" } } }];
        const run = await runProgram({ stack: "prod", config: stackConfig("prod", { services, environment: { ...prodEnvironment(), replicas: {} } }) });
        assert.deepEqual(containerOf(run, "cart-service").resources, { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    });
});

describe("environment schemas", () => {
    async function validateAll(resources: readonly RegisteredResource[]): Promise<string[]> {
        const kinds = new Set<string>();
        for (const resource of resources) {
            try {
                if ((await validateCustomResource(resource) ?? validateKubernetesObject(resource)) === "valid") {
                    kinds.add(resource.type.split(":")[2]!);
                }
            } catch (error) {
                assert.fail(`${resource.type} ${resource.name}: ${(error as Error).message}`);
            }
        }
        return [...kinds].sort();
    }

    it("validates every Rollout and AnalysisTemplate against Argo Rollouts, ServiceMonitors against the Prometheus operator, and the rest against Kubernetes", async () => {
        const environment = prodEnvironment();
        const variants = [
            { stack: "prod", config: stackConfig("prod", { deployedAt }) },
            { stack: "prod", config: stackConfig("prod", { deployedAt, active: false, environment: {
                ...environment, restartStrategy: "restartAt",
                strategy: { canary: { ...environment.strategy.canary, dynamicStableScale: true, trafficRouting: { nginx: { additionalIngressAnnotations: { "canary-by-header": "X-Canary" } } } } },
            } }) },
            { stack: "dev", config: stackConfig("dev", { deployedAt }) },
        ];
        for (const variant of variants) {
            const run = await runProgram(variant);
            assert.deepEqual(await validateAll(run.resources),
                ["AnalysisTemplate", "Ingress", "Namespace", "NetworkPolicy", "Rollout", "Service", "ServiceMonitor"]);
        }
    });
});
