import * as assert from "node:assert/strict";
import { parseQuantity } from "../../lib/quantity";
import { RESTARTED_AT_ANNOTATION, RESTARTED_AT_PATH } from "../../lib/restart";
import { assertDeletedWithNamespace } from "../support/deletion";
import { failProgram, isSecretValue, ProgramRun, revealSecrets, runProgram } from "../support/program";
import { catalogue, catalogueNames } from "../support/projectConfig";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SECRET = "kubernetes:core/v1:Secret";
const CATALOGUE = catalogueNames();

const deployedAt = "2025-01-15T14:30:00Z";

function deployment(run: ProgramRun, name: string): Record<string, any> {
    return run.named(DEPLOYMENT, name).inputs;
}

function env(run: ProgramRun, name: string): Record<string, any> {
    const container = deployment(run, name).spec.template.spec.containers[0];
    return Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

describe("PR stack", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: { pr: { number: 123 }, deployedAt } });
    });

    it("creates namespace pr-123-shop-pilab-hu with PR, stack and Pod Security labels", () => {
        const labels = run.named(NAMESPACE, "pr-123-shop-pilab-hu").inputs.metadata.labels;
        assert.equal(labels["rollout-stacks.io/pr"], "123");
        assert.equal(labels["rollout-stacks.io/stack"], "pr-123");
        for (const mode of ["enforce", "audit", "warn"]) {
            assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "restricted");
        }
    });

    it("leaves everything in the namespace to be deleted with it, so a destroy deletes one Namespace", () => {
        assertDeletedWithNamespace(run, "pr-123-shop-pilab-hu");
    });

    it("runs a Deployment and a Service per catalogue service in the namespace", () => {
        assert.deepEqual(run.ofType(DEPLOYMENT).map((r) => r.inputs.metadata.name).sort(), [...CATALOGUE].sort());
        assert.deepEqual(run.ofType(SERVICE).map((r) => r.inputs.metadata.name).sort(), [...CATALOGUE].sort());
        for (const r of [...run.ofType(DEPLOYMENT), ...run.ofType(SERVICE)]) {
            assert.equal(r.inputs.metadata.namespace, "pr-123-shop-pilab-hu");
        }
        for (const { name, port } of catalogue()) {
            assert.equal(run.named(SERVICE, name).inputs.spec.ports[0].port, port, name);
        }
    });

    it("writes exactly the configured deployedAt into every pod template's restartedAt", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(deployment(run, name).spec.template.metadata.annotations, { [RESTARTED_AT_ANNOTATION]: deployedAt });
        }
        assert.equal(run.outputs.lastDeployedAt, deployedAt);
    });

    it("runs each service at <image>:pr-<n> with its catalogue replicas", () => {
        const cart = deployment(run, "cart-service");
        assert.equal(cart.spec.template.spec.containers[0].image, "ghcr.io/pilab-hu/cart-service:pr-123");
        assert.equal(cart.spec.replicas, 1);
    });

    it("hands every service its PR's isolation settings", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(env(run, name), {
                MONGODB_DATABASE: `pr-123-${name}`,
                NATS_SUBJECT_PREFIX: "pr-123",
                REDIS_KEY_PREFIX: "pr-123:",
            });
        }
    });

    it("runs containers non-root and read-only with probes on healthPath", () => {
        const pod = deployment(run, "payment-service").spec.template.spec;
        const [container] = pod.containers;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.deepEqual(container.securityContext, {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] },
        });
        assert.deepEqual(container.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
        assert.equal(container.readinessProbe.httpGet.path, "/healthz");
        assert.equal(container.livenessProbe.httpGet.path, "/healthz");
        assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    });

    it("serves pr-123.<domain> over TLS from the ClusterIssuer with a path per service", () => {
        const ingress = run.named(INGRESS, "web").inputs;
        assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
        assert.equal(ingress.metadata.annotations["pulumi.com/skipAwait"], "true", "an up must not wait for a load-balancer address");
        assert.deepEqual(ingress.spec.tls, [{ hosts: ["pr-123.shop.pilab.hu"], secretName: "pr-123-shop-pilab-hu-tls" }]);
        assert.equal(ingress.spec.rules[0].host, "pr-123.shop.pilab.hu");
        assert.deepEqual(ingress.spec.rules[0].http.paths.map((p: any) => [p.path, p.backend.service.name]),
            CATALOGUE.map((name) => [`/${name}`, name]));
        assert.equal(run.outputs.url, "https://pr-123.shop.pilab.hu");
    });

    it("sizes the quota and container defaults and denies traffic by default", () => {
        const quota = run.named("kubernetes:core/v1:ResourceQuota", "quota").inputs.spec.hard;
        assert.equal(quota["requests.cpu"], "2");
        assert.equal(quota.pods, "24");
        assert.equal(quota["services.loadbalancers"], "0");
        const limits = run.named("kubernetes:core/v1:LimitRange", "container-defaults").inputs.spec.limits[0];
        assert.deepEqual(limits.default, { cpu: "500m", memory: "256Mi" });
        const deny = run.named(NETWORK_POLICY, "default-deny").inputs.spec;
        assert.deepEqual(deny, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const fromIngress = run.named(NETWORK_POLICY, "allow-ingress-controller").inputs.spec.ingress[0];
        assert.deepEqual(fromIngress.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]);
        assert.deepEqual(fromIngress.ports.map((p: any) => `${p.protocol}/${p.port}`).sort(),
            [...new Set(catalogue().map((s) => `TCP/${s.port}`))].sort(), "the ingress controller must reach every service's port, the gateway's 4000 too");
        const dns = run.named(NETWORK_POLICY, "allow-dns").inputs.spec.egress[0];
        assert.deepEqual(dns.ports.map((p: any) => `${p.protocol}/${p.port}`), ["UDP/53", "TCP/53"]);
        assert.ok(run.named(NETWORK_POLICY, "allow-same-namespace"));
    });

    it("fits every Deployment in the default quota while all of them restart at once, surge pods included", () => {
        const hard = run.named("kubernetes:core/v1:ResourceQuota", "quota").inputs.spec.hard;
        const needed = { "requests.cpu": 0, "requests.memory": 0, "limits.cpu": 0, "limits.memory": 0, pods: 0 };
        for (const d of run.ofType(DEPLOYMENT)) {
            const { replicas, strategy, template } = d.inputs.spec;
            assert.equal(strategy.rollingUpdate.maxUnavailable, 0, "old pods stay until new ones are ready");
            const surge = Math.ceil((replicas * Number(/^(\d+)%$/.exec(strategy.rollingUpdate.maxSurge)![1])) / 100);
            const pods = replicas + surge;
            needed.pods += pods;
            for (const container of template.spec.containers) {
                for (const kind of ["requests", "limits"] as const) {
                    for (const resource of ["cpu", "memory"] as const) {
                        needed[`${kind}.${resource}`] += Math.round(parseQuantity(container.resources[kind][resource])! * 1000) * pods;
                    }
                }
            }
        }
        assert.equal(needed.pods, 2 * CATALOGUE.length, "one surge pod per single-replica service");
        for (const [key, amount] of Object.entries(needed)) {
            const allowed = key === "pods" ? Number(hard.pods) : Math.round(parseQuantity(hard[key])! * 1000);
            assert.ok(amount <= allowed, `${key}: the restart needs ${key === "pods" ? amount : `${amount / 1000} (base units)`}, the quota allows ${hard[key]}`);
        }
    });

    it("exports namespace, url, active, lastDeployedAt and each service's image and URL", () => {
        assert.equal(run.outputs.namespace, "pr-123-shop-pilab-hu");
        assert.equal(run.outputs.active, true);
        assert.deepEqual(run.outputs.services["order-service"], {
            image: "ghcr.io/pilab-hu/order-service:pr-123",
            url: "http://order-service.pr-123-shop-pilab-hu.svc.cluster.local:8080",
        });
        assert.equal(run.outputs.services["graphql-service"].url, "http://graphql-service.pr-123-shop-pilab-hu.svc.cluster.local:4000");
    });

    it("holds no restart annotation while active", () => {
        for (const name of CATALOGUE) {
            assert.deepEqual(run.named(DEPLOYMENT, name).options.ignoreChanges ?? [], []);
        }
    });
});

describe("PR stack variations", () => {
    it("puts no restart annotation on Deployments when deployedAt is unset", async () => {
        const run = await runProgram({ config: { pr: { number: 5 } }, stack: "pr-5" });
        for (const d of run.ofType(DEPLOYMENT)) {
            assert.deepEqual(d.inputs.spec.template.metadata.annotations, {});
        }
        assert.equal(run.outputs.lastDeployedAt, null);
    });

    it("scales every Deployment to 0 when inactive, keeps the rest, and holds the restart annotation", async () => {
        const run = await runProgram({ config: { pr: { number: 123 }, deployedAt, active: false, backends: { redis: "redis://redis.shared.svc:6379" } } });
        for (const d of run.ofType(DEPLOYMENT)) {
            assert.equal(d.inputs.spec.replicas, 0);
            assert.deepEqual(d.options.ignoreChanges, [RESTARTED_AT_PATH]);
        }
        assert.equal(run.ofType(NAMESPACE).length, 1);
        assert.equal(run.ofType(SERVICE).length, CATALOGUE.length);
        assert.equal(run.ofType(SECRET).length, 1);
        assert.equal(run.outputs.active, false);
    });

    it("takes imageTag for every service and images for one", async () => {
        const run = await runProgram({ config: { pr: { number: 123 }, imageTag: "sha-abc123", images: { "cart-service": "ghcr.io/pilab-hu/cart-service@sha256:" + "f".repeat(64) } } });
        assert.equal(deployment(run, "order-service").spec.template.spec.containers[0].image, "ghcr.io/pilab-hu/order-service:sha-abc123");
        assert.equal(deployment(run, "cart-service").spec.template.spec.containers[0].image, `ghcr.io/pilab-hu/cart-service@sha256:${"f".repeat(64)}`);
        assert.equal(run.outputs.services["cart-service"].image, `ghcr.io/pilab-hu/cart-service@sha256:${"f".repeat(64)}`);
    });

    it("runs only the services pr.services names", async () => {
        const run = await runProgram({ config: { pr: { number: 123, services: ["cart-service", "order-service"] } } });
        assert.deepEqual(run.ofType(DEPLOYMENT).map((d) => d.inputs.metadata.name).sort(), ["cart-service", "order-service"]);
        assert.deepEqual(Object.keys(run.outputs.services).sort(), ["cart-service", "order-service"]);
        assert.equal(run.named(INGRESS, "web").inputs.spec.rules[0].http.paths.length, 2);
    });

    it("adds a Deployment, a Service and their ServiceDeployment per service and nothing per pair of services", async () => {
        // bench/RESULTS.md reads the program's cost per service on this: resources linear in services.
        const countsOf = async (services: readonly string[]) => {
            const run = await runProgram({ config: { pr: { number: 123, services } } });
            const counts = new Map<string, number>();
            for (const r of run.resources) {
                counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
            }
            return counts;
        };
        const added = (from: Map<string, number>, to: Map<string, number>) =>
            Object.fromEntries([...new Set([...from.keys(), ...to.keys()])]
                .map((type) => [type, (to.get(type) ?? 0) - (from.get(type) ?? 0)] as const)
                .filter(([, n]) => n !== 0));
        const [three, six, nine] = [await countsOf(CATALOGUE.slice(0, 3)), await countsOf(CATALOGUE.slice(0, 6)), await countsOf(CATALOGUE.slice(0, 9))];
        const perThreeServices = { [DEPLOYMENT]: 3, [SERVICE]: 3, "rollout-stacks:workload:ServiceDeployment": 3 };
        assert.deepEqual(added(three, six), perThreeServices);
        assert.deepEqual(added(six, nine), perThreeServices);
    });

    it("uses an existing TLS secret and a custom domain when given, without cert-manager", async () => {
        const run = await runProgram({ config: { pr: { number: 123, customDomain: "review.example.com", tlsSecretName: "wildcard-tls" } } });
        const ingress = run.named(INGRESS, "web").inputs;
        assert.deepEqual(ingress.metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.deepEqual(ingress.spec.tls, [{ hosts: ["review.example.com"], secretName: "wildcard-tls" }]);
        assert.equal(run.outputs.url, "https://review.example.com");
    });

    it("passes backend URLs through a Secret and lets pods reach only where the backends are", async () => {
        const run = await runProgram({ config: {
            pr: { number: 123 },
            backends: { mongodb: "mongodb://app:pw@mongo.shared.svc.cluster.local:27017", nats: "nats://10.1.2.3:4222", redis: "redis://cache.example.com" },
            backendNetworks: { redis: ["10.20.0.0/16", "2001:db8::/32"] },
        } });
        const { stringData } = run.named(SECRET, "backends").inputs;
        assert.ok(isSecretValue(stringData), "the URLs must stay a Pulumi secret in state");
        assert.deepEqual(Object.keys(revealSecrets(stringData)).sort(), ["MONGODB_URL", "NATS_URL", "REDIS_URL"]);
        assert.equal(revealSecrets(stringData).MONGODB_URL, "mongodb://app:pw@mongo.shared.svc.cluster.local:27017");
        assert.deepEqual(env(run, "cart-service").MONGODB_URL, { secretKeyRef: { name: "backends", key: "MONGODB_URL" } });
        const egress = run.named(NETWORK_POLICY, "allow-backends").inputs.spec.egress;
        const peers = (rule: any) => rule.to.map((peer: any) => peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? peer.ipBlock.cidr);
        assert.deepEqual(egress.map((rule: any) => [peers(rule), rule.ports.map((p: any) => p.port)]),
            [[["shared"], [27017]], [["10.1.2.3/32"], [4222]], [["10.20.0.0/16", "2001:db8::/32"], [6379]]]);
    });

    it("fails an update whose pods are not ready within pr.readyTimeout, never taking the old pods down first", async () => {
        const defaults = await runProgram({ config: { pr: { number: 123 } } });
        const spec = deployment(defaults, "cart-service").spec;
        assert.equal(spec.progressDeadlineSeconds, 300, "the default: 5 minutes, well under the provider's 10");
        assert.deepEqual(spec.strategy.rollingUpdate.maxUnavailable, 0);
        const short = await runProgram({ config: { pr: { number: 123, readyTimeout: "1m30s" } } });
        assert.equal(deployment(short, "cart-service").spec.progressDeadlineSeconds, 90);
        for (const [given, pattern] of [["5", /expected a duration with a unit/], ["5s", /expected at least 10s/], ["2h", /expected at most 3600s/]] as const) {
            const { error, resources } = await failProgram({ config: { pr: { number: 123, readyTimeout: given } } });
            assert.match(error.message, new RegExp(`rollout-stacks:pr\\.readyTimeout: ${pattern.source}`));
            assert.deepEqual(resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
        }
    });

    it("shortens the namespace of a long domain to a DNS label", async () => {
        const domain = "previews.very-long-platform-team-name.engineering.example.com";
        const run = await runProgram({ config: { pr: { number: 98765 }, domain }, stack: "pr-98765" });
        const name = run.ofType(NAMESPACE)[0]!.inputs.metadata.name;
        assert.ok(name.length <= 63 && name.startsWith("pr-98765-previews-"), name);
        assert.equal(run.outputs.namespace, name);
    });

    it("refuses a stack named for another PR", async () => {
        const { error, resources } = await failProgram({ config: { pr: { number: 124 } }, stack: "pr-123" });
        assert.match(error.message, /rollout-stacks:pr\.number: the stack pr-123 is for PR 123/);
        assert.deepEqual(resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });

    it("refuses a stack that sets neither pr nor environment", async () => {
        const { error } = await failProgram({ stack: "sandbox" });
        assert.match(error.message, /rollout-stacks:pr: the stack deploys nothing/);
    });
});
