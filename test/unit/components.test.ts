import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as components from "../../components";
import { DEFAULT_APP_METRICS } from "../../lib/appMetrics";
import {
    AnalysisTemplates, AnalysisTemplatesArgs, ArgoCd, ArgoRolloutsController, CertManager, DeliveryStrategy, IsolatedNamespace, Monitoring,
    PrEnvironment, PrEnvironmentArgs, ProgressiveEnvironment, ProgressiveEnvironmentArgs, ProgressiveService, ProgressiveServiceArgs,
    ServiceDeployment, ServiceIngress, ServiceSpec,
} from "../../components";
import { mockComponents, Mocked, valueOf } from "../support/components";
import { runProgram } from "../support/program";
import { catalogueNames, ungatedStackFileConfig } from "../support/projectConfig";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SERVICE = "kubernetes:core/v1:Service";

const cart: ServiceSpec = {
    name: "cart-service",
    image: "ghcr.io/acme/cart-service",
    port: 8080,
    healthPath: "/healthz",
    replicas: 2,
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
};
const graphql: ServiceSpec = { ...cart, name: "graphql-service", image: "ghcr.io/acme/graphql-service", port: 4000, replicas: 1 };

const canary: DeliveryStrategy = { canary: { steps: [{ setWeight: 20 }, { pause: {} }], maxSurge: "25%", maxUnavailable: 0, dynamicStableScale: false } };
const blueGreen: DeliveryStrategy = { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 30 } };

const analysis: Omit<AnalysisTemplatesArgs, "namespace"> = {
    prometheusAddress: "http://prometheus.monitoring.svc:9090", successRate: 0.99, latencyP99Ms: 300, interval: "30s", count: 4, failureLimit: 0,
    appMetrics: DEFAULT_APP_METRICS,
};

/** A value known only once another resource exists, as a user's program would pass it. */
const later = (value: string): pulumi.Output<string> => pulumi.output(Promise.resolve(value));

/** Asserts that constructing fails with the component's own ResourceError, saying `message`. */
function refuses(construct: () => unknown, message: RegExp): void {
    assert.throws(construct, (error: unknown) => {
        assert.ok(error instanceof pulumi.ResourceError, `expected a ResourceError, got ${String(error)}`);
        assert.match(error.message, message);
        return true;
    });
}

describe("components as a library", () => {
    it("exports every component class from components/index.ts, and of runtime values only those and the two Args helpers", () => {
        const directory = path.join(__dirname, "../../components");
        const classes = fs.readdirSync(directory).filter((file) => file.endsWith(".ts") && file !== "index.ts")
            .flatMap((file) => Object.entries(require(path.join(directory, file)) as Record<string, unknown>))
            .filter(([, value]) => typeof value === "function" && value.prototype instanceof pulumi.ComponentResource)
            .map(([name]) => name);
        assert.ok(classes.length >= 11, `found ${classes.join(", ")}`);
        assert.deepEqual(Object.keys(components).sort(), [...classes, "argoRolloutsApplication", "argoRolloutsMetrics"].sort());
    });
});

describe("components constructed on their own", () => {
    let mocked: Mocked;
    beforeEach(async () => {
        mocked = await mockComponents();
    });
    afterEach(async () => {
        await mocked.settled();
    });

    describe("PrEnvironment", () => {
        const args: PrEnvironmentArgs = {
            prNumber: 7,
            domain: "example.com",
            stackName: "acme/pr-7",
            services: [{ spec: cart, image: later("registry.local/cart:abc") }, { spec: graphql, image: "ghcr.io/acme/graphql-service:pr-7" }],
            host: later("review-7.example.com"),
            tls: { secretName: later("wildcard-tls") },
            ingressNamespace: later("edge"),
            quota: { requestsCpu: "1", requestsMemory: "1Gi", limitsCpu: "2", limitsMemory: "2Gi", pods: 8 },
            containerDefaults: cart.resources,
        };

        it("takes the host, certificate Secret, ingress namespace and images as outputs of other resources", async () => {
            const environment = new PrEnvironment("pr-7", args);
            assert.equal(await valueOf(environment.url), "https://review-7.example.com");
            assert.equal(await valueOf(environment.namespace), "pr-7-example-com");
            assert.equal(await valueOf(environment.services["cart-service"]!.image), "registry.local/cart:abc");
            await mocked.settled();
            const ingress = mocked.named(INGRESS, "web").inputs;
            assert.deepEqual(ingress.spec.tls, [{ hosts: ["review-7.example.com"], secretName: "wildcard-tls" }]);
            assert.equal(mocked.named(DEPLOYMENT, "cart-service").inputs.spec.template.spec.containers[0].image, "registry.local/cart:abc");
            const fromController = mocked.named(NETWORK_POLICY, "allow-ingress-controller").inputs.spec.ingress[0];
            assert.deepEqual(fromController.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } }]);
            assert.deepEqual(fromController.ports.map((p: { port: number }) => p.port), [8080, 4000]);
        });

        it("refuses a PR number that is not a positive whole number", () => {
            refuses(() => new PrEnvironment("pr-0", { ...args, prNumber: 0 }), /prNumber must be a positive whole number, got 0/);
            refuses(() => new PrEnvironment("pr-1-5", { ...args, prNumber: 1.5 }), /prNumber must be a positive whole number, got 1.5/);
        });

        it("refuses an empty service list", () => {
            refuses(() => new PrEnvironment("pr-8", { ...args, prNumber: 8, services: [] }), /services is empty for PR 8; select at least one service/);
        });
    });

    describe("ProgressiveEnvironment", () => {
        const args: ProgressiveEnvironmentArgs = {
            name: "staging",
            services: [{ spec: cart, image: "ghcr.io/acme/cart-service:v2", replicas: 3 }, { spec: graphql, image: later("ghcr.io/acme/graphql-service:v2") }],
            strategy: blueGreen,
            analysis: { ...analysis, prometheusAddress: later("http://metrics.example:9090") },
            host: later("staging.example.com"),
            tls: { clusterIssuer: "letsencrypt" },
            deployedAt: "2025-01-15T14:30:00Z",
        };

        it("runs each service as a Rollout in its own namespace at the given replicas and serves one certificate for the host", async () => {
            const environment = new ProgressiveEnvironment("staging", args);
            assert.equal(await valueOf(environment.namespace), "staging");
            assert.equal(await valueOf(environment.url), "https://staging.example.com");
            assert.equal(await valueOf(environment.services["graphql-service"]!.url), "https://staging.example.com/graphql-service");
            assert.equal(await valueOf(environment.services["cart-service"]!.previewUrl), "http://cart-service-preview.staging.svc.cluster.local:8080");
            assert.equal(await valueOf(environment.lastDeployedAt), "2025-01-15T14:30:00Z");
            await mocked.settled();
            assert.deepEqual(mocked.ofType(ROLLOUT).map((r) => [r.inputs.metadata.namespace, r.inputs.metadata.name, r.inputs.spec.replicas]),
                [["staging", "cart-service", 3], ["staging", "graphql-service", 1]]);
            const [first, second] = [mocked.named(INGRESS, "cart-service").inputs, mocked.named(INGRESS, "graphql-service").inputs];
            assert.equal(first.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
            assert.equal(second.metadata.annotations["cert-manager.io/cluster-issuer"], undefined);
            assert.deepEqual([first.spec.tls, second.spec.tls], Array(2).fill([{ hosts: ["staging.example.com"], secretName: "staging-example-com-tls" }]));
            const address = mocked.named(ANALYSIS_TEMPLATE, "success-rate").inputs.spec.metrics[0].provider.prometheus.address;
            assert.equal(address, "http://metrics.example:9090");
        });

        it("scales every Rollout to 0 while inactive", async () => {
            const environment = new ProgressiveEnvironment("paused", { ...args, name: "paused", active: false });
            assert.equal(environment.active, false);
            await mocked.settled();
            assert.deepEqual(mocked.ofType(ROLLOUT).map((r) => r.inputs.spec.replicas), [0, 0]);
        });

        it("refuses an empty service list", () => {
            refuses(() => new ProgressiveEnvironment("empty", { ...args, name: "empty", services: [] }),
                /services is empty for environment empty; give at least one service/);
        });
    });

    describe("ProgressiveService", () => {
        const args: ProgressiveServiceArgs = {
            namespace: later("shop"), service: cart, image: "ghcr.io/acme/cart-service:v1", strategy: canary,
            host: later("shop.example.com"), tls: { clusterIssuer: later("letsencrypt") },
        };

        it("serves the service under /<service> of a host that is an output", async () => {
            const service = new ProgressiveService("shop-cart", args);
            assert.equal(await valueOf(service.url), "https://shop.example.com/cart-service");
            await mocked.settled();
            assert.equal(mocked.named(INGRESS, "cart-service").inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
            assert.deepEqual(mocked.ofType(SERVICE).map((s) => s.inputs.metadata.name).sort(),
                ["cart-service", "cart-service-canary", "cart-service-metrics", "cart-service-stable"]);
        });

        it("refuses replicas that are not a whole number of at least 0", () => {
            refuses(() => new ProgressiveService("negative", { ...args, replicas: -1 }), /replicas must be a whole number of at least 0, got -1; pass 0 to pause/);
            refuses(() => new ProgressiveService("fraction", { ...args, replicas: 1.5 }), /replicas must be a whole number of at least 0, got 1.5/);
        });

        it("refuses a negative revisionHistoryLimit", () => {
            refuses(() => new ProgressiveService("history", { ...args, revisionHistoryLimit: -1 }), /revisionHistoryLimit must be a whole number of at least 0, got -1/);
        });

        it("refuses requests or limits that are no Kubernetes quantities", () => {
            const service = { ...cart, resources: { ...cart.resources, limits: { cpu: "lots", memory: "256Mi" } } };
            refuses(() => new ProgressiveService("quantities", { ...args, service }),
                /resources.limits of cart-service must be Kubernetes quantities such as 250m or 512Mi, got cpu lots and memory 256Mi/);
        });
    });

    describe("ServiceDeployment", () => {
        it("runs the catalogue's replicas unless told otherwise", async () => {
            new ServiceDeployment("cart", { namespace: later("team"), service: cart, image: "ghcr.io/acme/cart-service:v1" });
            await mocked.settled();
            assert.equal(mocked.named(DEPLOYMENT, "cart-service").inputs.spec.replicas, 2);
        });

        it("refuses replicas that are not a whole number of at least 0", () => {
            const args = { namespace: "team", service: cart, image: "ghcr.io/acme/cart-service:v1" };
            refuses(() => new ServiceDeployment("negative", { ...args, replicas: -2 }), /replicas must be a whole number of at least 0, got -2; pass 0 to pause/);
            refuses(() => new ServiceDeployment("fraction", { ...args, replicas: 0.5 }), /replicas must be a whole number of at least 0, got 0.5/);
        });
    });

    describe("ServiceIngress", () => {
        const args = { namespace: "team", host: later("app.example.com"), routes: [{ path: "/cart", serviceName: later("cart"), servicePort: 8080 }], tls: { clusterIssuer: "letsencrypt" } };

        it("derives the URL and cert-manager's Secret from a host that is an output", async () => {
            const ingress = new ServiceIngress("app", args);
            assert.equal(await valueOf(ingress.url), "https://app.example.com");
            await mocked.settled();
            const inputs = mocked.named(INGRESS, "web").inputs;
            assert.deepEqual(inputs.spec.tls, [{ hosts: ["app.example.com"], secretName: "app-example-com-tls" }]);
            assert.equal(inputs.spec.rules[0].http.paths[0].backend.service.name, "cart");
            assert.equal(inputs.spec.ingressClassName, "nginx");
        });

        it("refuses an empty route list", () => {
            refuses(() => new ServiceIngress("none", { ...args, routes: [] }), /routes is empty; give at least one path and the Service that serves it/);
        });
    });

    describe("IsolatedNamespace", () => {
        it("given only a name, creates the namespace at Pod Security restricted with deny, same-namespace and DNS policies and nothing else", async () => {
            const namespace = new IsolatedNamespace("bare", { name: "bare" });
            assert.equal(await valueOf(namespace.name), "bare");
            const resources = await mocked.settled();
            assert.deepEqual(resources.filter((r) => !r.type.startsWith("rollout-stacks:")).map((r) => r.name).sort(),
                ["bare-allow-dns", "bare-allow-same-namespace", "bare-default-deny", "bare-namespace"]);
            assert.equal(mocked.ofType("kubernetes:core/v1:Namespace")[0]!.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        });
    });

    describe("AnalysisTemplates", () => {
        const args: AnalysisTemplatesArgs = { namespace: "shop", ...analysis };

        it("queries the Prometheus it is given, also as an output", async () => {
            new AnalysisTemplates("checks", { ...args, prometheusAddress: later("http://thanos.example:9090") });
            await mocked.settled();
            for (const name of ["success-rate", "latency-p99"]) {
                assert.equal(mocked.named(ANALYSIS_TEMPLATE, name).inputs.spec.metrics[0].provider.prometheus.address, "http://thanos.example:9090");
            }
        });

        it("refuses a success rate that is no fraction", () => {
            refuses(() => new AnalysisTemplates("percent", { ...args, successRate: 99 }), /successRate must be a fraction above 0 and at most 1, got 99; write 99% as 0.99/);
            refuses(() => new AnalysisTemplates("zero", { ...args, successRate: 0 }), /successRate must be a fraction above 0 and at most 1, got 0/);
        });

        it("refuses a latency threshold that is not positive", () => {
            refuses(() => new AnalysisTemplates("latency", { ...args, latencyP99Ms: 0 }), /latencyP99Ms must be a positive number of milliseconds, got 0/);
        });

        it("refuses a count the failure limit makes unable to fail", () => {
            refuses(() => new AnalysisTemplates("never-fails", { ...args, count: 3, failureLimit: 3 }), /count \(3\) must be a whole number above failureLimit \(3\)/);
            refuses(() => new AnalysisTemplates("no-count", { ...args, count: 0, failureLimit: 0 }), /count \(0\) must be a whole number above failureLimit \(0\)/);
        });
    });

    describe("platform components", () => {
        const app = { name: "shop", source: { repoURL: "https://github.com/acme/deploy.git", path: "apps/shop", targetRevision: "HEAD" }, destination: { namespace: "shop" } };
        const appMetrics = { requests: "http_requests_total", statusLabel: "code", latency: "http_request_duration_seconds" };

        it("install the rollouts controller from its chart into a baseline namespace", async () => {
            new ArgoRolloutsController("rollouts", { namespace: "argo-rollouts", chart: { repo: "https://argoproj.github.io/argo-helm", name: "argo-rollouts" }, version: "2.40.5" });
            await mocked.settled();
            const namespace = mocked.named("kubernetes:core/v1:Namespace", "argo-rollouts").inputs;
            assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
            assert.equal(mocked.ofType("kubernetes:helm.sh/v4:Chart")[0]!.inputs.values.dashboard.enabled, false);
        });

        it("create only custom resources for add-ons that run already", async () => {
            new ArgoCd("cd", { namespace: "argocd", project: { name: "p" }, applications: [app] });
            new CertManager("cm", { namespace: "cert-manager", clusterIssuers: [{ name: "selfsigned", selfSigned: true }] });
            new Monitoring("mon", { namespace: "monitoring", appMetrics, canaryErrorMargin: 0.05 });
            const resources = await mocked.settled();
            assert.deepEqual(resources.filter((r) => r.type.startsWith("kubernetes:helm") || r.type === "kubernetes:core/v1:Namespace"), []);
            assert.equal(mocked.named("kubernetes:argoproj.io/v1alpha1:Application", "shop").inputs.spec.project, "p");
        });

        it("refuse arguments that would make one object of two, naming the argument", () => {
            refuses(() => new ArgoCd("cd-twice", { namespace: "argocd", project: { name: "p" }, applications: [app, app] }), /applications has two entries named shop/);
            refuses(() => new CertManager("cm-twice", { namespace: "cert-manager", clusterIssuers: [{ name: "a", selfSigned: true }, { name: "a", selfSigned: true }] }),
                /clusterIssuers names a twice/);
        });

        it("refuse a canary error margin outside 0 to 1", () => {
            refuses(() => new Monitoring("mon-margin", { namespace: "monitoring", appMetrics, canaryErrorMargin: 5 }), /canaryErrorMargin must be between 0 and 1, got 5/);
        });
    });
});

describe("ProgressiveEnvironment on existing stacks", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`aliases every child it adopted in ${stack} to the stack root and keeps every name, so pulumi up replaces nothing`, async () => {
            const { imageTag, environment } = ungatedStackFileConfig(stack);
            const run = await runProgram({ stack, config: { imageTag, environment } });
            const [component] = run.ofType("rollout-stacks:environment:ProgressiveEnvironment");
            assert.equal(component?.name, stack, "the component is named after the environment, its children's prefix");
            const children = run.resources.filter((r) => r.parent === stack);
            assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
                `rollout-stacks:namespace:IsolatedNamespace ${stack}-ns`,
                `rollout-stacks:analysis:AnalysisTemplates ${stack}-analysis`,
                ...catalogueNames().map((service) => `rollout-stacks:workload:ProgressiveService ${stack}-${service}`),
            ].sort());
            for (const child of children) {
                // `{ parent: pulumi.rootStackResource }`: the SDK sends it as "no parent", the URN the child had at the root.
                const aliases = (child.options.aliases ?? []) as object[];
                assert.equal(aliases.length, 1, `${child.name} has ${aliases.length} aliases`);
                assert.deepEqual(aliases[0], { parent: pulumi.rootStackResource }, child.name);
                assert.ok(Object.hasOwn(aliases[0]!, "parent"), `${child.name}'s alias must name the parent it had: none`);
            }
            // Their own children inherit the alias (the engine derives it from the parent's), as long as their names stay.
            const namesUnder = (parent: string) => run.resources.filter((r) => r.parent === parent).map((r) => r.name).sort();
            assert.deepEqual(namesUnder(`${stack}-ns`), ["allow-dns", "allow-ingress-controller", "allow-monitoring", "allow-same-namespace", "default-deny", "namespace"]
                .map((role) => `${stack}-ns-${role}`));
            assert.deepEqual(namesUnder(`${stack}-analysis`), [`${stack}-analysis-latency-p99`, `${stack}-analysis-success-rate`]);
            const services = stack === "prod" ? ["canary", "ingress", "metrics", "monitor", "rollout", "service", "stable"] : ["ingress", "metrics", "monitor", "preview", "rollout", "service"];
            assert.deepEqual(namesUnder(`${stack}-cart-service`), services.map((role) => `${stack}-cart-service-${role}`));
            assert.deepEqual(namesUnder(`${stack}-cart-service-ingress`), [`${stack}-cart-service-ingress-ingress`]);
        });
    }
});
