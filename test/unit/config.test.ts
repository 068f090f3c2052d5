import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../config";
import { assertConfigRejected as assertRejected, cliConfigSource as source, configProblems as problemsOf } from "../support/configAssertions";
import { failProgram } from "../support/program";
import { catalogue, catalogueNames, stackFileConfig } from "../support/projectConfig";

const pr = { number: 123 };

/** The shop of ../shared/DESIGN.md, in its order. */
const DESIGN_SERVICES = ["product", "cart", "order", "payment", "customer", "inventory", "notification", "discount",
    "checkout", "analytics", "auth", "graphql"].map((name) => `${name}-service`);

describe("config", () => {
    it("accepts a PR stack of the catalogue with defaults filled in", () => {
        const config = loadConfig(source({ pr }));
        assert.equal(config.active, true);
        assert.equal(config.domain, "shop.pilab.hu");
        assert.deepEqual(config.services.map((s) => s.name), catalogueNames());
        assert.equal(config.pr?.clusterIssuer, "letsencrypt");
        assert.deepEqual(config.images, {});
        assert.ok(Object.isFrozen(config) && Object.isFrozen(config.services[0]));
    });

    it("catalogues exactly the design's twelve services, each from ghcr.io/pilab-hu/<name>", () => {
        assert.deepEqual(catalogueNames(), DESIGN_SERVICES);
        for (const service of catalogue()) {
            assert.equal(service.image, `ghcr.io/pilab-hu/${service.name}`);
        }
    });

    describe("deployedAt", () => {
        it("rejects the output of date", () => assertRejected({ pr, deployedAt: "Wed Jan 15 14:30:00 UTC 2025" },
            "rollout-stacks:deployedAt", /RFC3339 UTC/, /given: "Wed Jan 15 14:30:00 UTC 2025"/, /date -u/));
        it("rejects a unix timestamp", () => assertRejected({ pr, deployedAt: "1736951400" },
            "rollout-stacks:deployedAt", /unix timestamp/, /given: "1736951400"/));
        it("rejects a local offset", () => assertRejected({ pr, deployedAt: "2025-01-15T15:30:00+01:00" },
            "rollout-stacks:deployedAt", /local offset/));
        it("accepts RFC3339 UTC", () => assert.equal(loadConfig(source({ pr, deployedAt: "2025-01-15T14:30:00Z" })).deployedAt, "2025-01-15T14:30:00Z"));
    });

    describe("pr", () => {
        for (const number of [0, -3, 1.5, "12"]) {
            it(`rejects the PR number ${JSON.stringify(number)}`, () => assertRejected({ pr: { number } },
                "rollout-stacks:pr.number", /positive whole number|expected/, new RegExp(`given: ${JSON.stringify(number)}`)));
        }
        it("requires a PR number", () => assertRejected({ pr: {} }, "rollout-stacks:pr.number", /given: nothing/));
        it("rejects an unknown service in pr.services", () => assertRejected({ pr: { number: 1, services: ["cart-service", "basket"] } },
            "rollout-stacks:pr.services[1]", /no service named basket/, /known: product-service, cart-service/));
        it("rejects a misspelt key", () => assertRejected({ pr: { number: 1, servcies: ["cart-service"] } },
            "rollout-stacks:pr.servcies", /unknown key/));
        it("rejects pr together with environment", () => assertRejected({ pr, environment: { name: "dev" } },
            "rollout-stacks:environment", /cannot also set environment/));
        it("rejects pr together with platform", () => assertRejected({ pr, platform: {} },
            "rollout-stacks:platform", /cannot also set platform/));
        it("rejects a quota the services do not fit in", () => assertRejected({ pr: { number: 1, quota: { requestsCpu: "100m" } } },
            "rollout-stacks:pr.quota.requestsCpu", /smaller than what the services need/));
        describe("quota through a rolling restart (one surge pod per service of up to 4 replicas)", () => {
            const two = [
                { name: "cart-service", image: "acme/cart", port: 8080, replicas: 1, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
                { name: "order-service", image: "acme/order", port: 8080, replicas: 4, resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } } },
            ];
            // At rest 5 pods, 300m, 320Mi, 1300m, 768Mi; while both restart 2 + 5 = 7 pods, 450m, 448Mi, 2, 1152Mi.
            const surged = { requestsCpu: "450m", requestsMemory: "448Mi", limitsCpu: "2", limitsMemory: "1152Mi", pods: 7 };
            it("accepts a quota that holds the surge exactly", () =>
                assert.deepEqual(loadConfig(source({ services: two, pr: { number: 1, quota: surged } })).pr?.quota, surged));
            it("rejects a quota that fits the pods at rest but not their surge, naming what is needed", () => {
                const atRest = { requestsCpu: "300m", requestsMemory: "320Mi", limitsCpu: "1300m", limitsMemory: "768Mi", pods: 5 };
                const config = { services: two, pr: { number: 1, quota: atRest } };
                assertRejected(config, "rollout-stacks:pr.quota.requestsCpu", /rolling update's surge \(450m\)/);
                assertRejected(config, "rollout-stacks:pr.quota.requestsMemory", /\(448Mi\)/);
                assertRejected(config, "rollout-stacks:pr.quota.limitsCpu", /\(2000m\)/);
                assertRejected(config, "rollout-stacks:pr.quota.limitsMemory", /\(1152Mi\)/);
                assertRejected(config, "rollout-stacks:pr.quota.pods", /need 7 pods/);
            });
            it("counts only the services pr.services selects", () =>
                assert.doesNotThrow(() => loadConfig(source({ services: two, pr: { number: 1, services: ["cart-service"], quota: { requestsCpu: "200m", pods: 2 } } }))));
        });
    });

    describe("images", () => {
        it("rejects an image tag no registry accepts", () => assertRejected({ pr, imageTag: "-pr 5" },
            "rollout-stacks:imageTag", /expected an image tag/, /given: "-pr 5"/));
        it("rejects the floating tag latest", () => assertRejected({ pr, imageTag: "latest" },
            "rollout-stacks:imageTag", /floating tag/));
        it("rejects an override that is no reference", () => assertRejected({ pr, images: { "cart-service": "Acme/Cart:v1" } },
            "rollout-stacks:images.cart-service", /expected an image reference/));
        it("rejects an override without tag or digest", () => assertRejected({ pr, images: { "cart-service": "acme/cart" } },
            "rollout-stacks:images.cart-service", /no tag or digest/));
        it("rejects an override for a service not in the catalogue", () => assertRejected({ pr, images: { basket: "acme/basket:v1" } },
            "rollout-stacks:images.basket", /no service named basket/));
        it("rejects a catalogue image that carries a tag", () => assertRejected({
            pr, services: [{ name: "cart-service", image: "acme/cart:v1", port: 8080 }],
        }, "rollout-stacks:services[0].image", /without tag or digest/));
    });

    describe("domain and services", () => {
        for (const domain of ["not a domain", "Shop.Pilab.HU", "localhost", "shop..hu", "-shop.hu"]) {
            it(`rejects the domain ${JSON.stringify(domain)}`, () => assertRejected({ pr, domain }, "rollout-stacks:domain", /DNS name/));
        }
        for (const cpu of ["lots", "1.5 Gi", "-1", "0", "0e3"]) {
            it(`rejects the quantity ${JSON.stringify(cpu)}`, () => assertRejected({
                pr, services: [{ name: "cart-service", image: "acme/cart", port: 8080, resources: { requests: { cpu, memory: "64Mi" } } }],
            }, "rollout-stacks:services[0].resources.requests.cpu", /Kubernetes quantity/));
        }
        it("rejects a request above its limit", () => assertRejected({
            pr, services: [{ name: "cart-service", image: "acme/cart", port: 8080, resources: { requests: { cpu: "2", memory: "64Mi" }, limits: { cpu: "1", memory: "64Mi" } } }],
        }, "rollout-stacks:services[0].resources.requests.cpu", /exceeds the limit/));
        it("rejects two services of one name", () => assertRejected({
            pr, services: [{ name: "cart", image: "acme/cart", port: 1 }, { name: "cart", image: "acme/cart2", port: 2 }],
        }, "rollout-stacks:services[1].name", /unique/));
        it("rejects a port out of range", () => assertRejected({ pr, services: [{ name: "cart", image: "acme/cart", port: 70000 }] },
            "rollout-stacks:services[0].port", /1 to 65535/));
        it("rejects structured config that is not JSON", () => assertRejected({ pr: "{number: 1" }, "rollout-stacks:pr", /structured config/));
        it("rejects an active that is not a boolean", () => assertRejected({ pr, active: "yes" }, "rollout-stacks:active", /true or false/));
        it("rejects a backend URL of the wrong scheme without quoting it", () => {
            assertRejected({ pr, backends: { redis: "http://app:hunter2@redis:6379" } }, "rollout-stacks:backends.redis", /scheme http:/, /given: "\[secret\]"/);
            assert.doesNotMatch(problemsOf({ pr, backends: { redis: "http://app:hunter2@redis:6379" } }), /hunter2/);
        });
    });

    it("rejects an environment whose ClusterIssuer its own platform does not create", () => {
        const dev = stackFileConfig("dev") as { environment: Record<string, unknown>; platform: { monitoring: Record<string, unknown> } };
        const platform = { ...dev.platform, monitoring: { ...dev.platform.monitoring, grafanaAdminPassword: "correct-horse-battery" } };
        assert.doesNotThrow(() => loadConfig(source({ ...dev, platform })));
        assertRejected({ ...dev, platform, environment: { ...dev.environment, clusterIssuer: "letsencrypt" } },
            "rollout-stacks:environment.clusterIssuer", /creates the ClusterIssuers selfsigned, not letsencrypt/);
    });

    describe("a stack that deploys nothing", () => {
        it("is rejected at rollout-stacks:pr, naming what to set", () => assertRejected({},
            "rollout-stacks:pr", /the stack deploys nothing; set pr \(a PR stack\), or environment and\/or platform/, /given: nothing/));
        it("is listed with the config's other problems", () => {
            const message = problemsOf({ imageTag: "a b" });
            assert.match(message, /2 problems/);
            assert.match(message, /rollout-stacks:imageTag:/);
            assert.match(message, /rollout-stacks:pr: the stack deploys nothing/);
        });
        for (const [what, config] of [["an environment", { environment: { name: "dev", strategy: { blueGreen: {} } }, imageTag: "v1" }],
            ["a platform", { platform: { monitoring: { installVia: "external" } } }], ["a PR", { pr }]] as const) {
            it(`is not said of a stack with ${what}`, () => assert.doesNotThrow(() => loadConfig(source(config))));
        }
    });

    it("reports structured config that is not JSON once, not also as missing", () => {
        for (const key of ["pr", "services"]) {
            const message = problemsOf({ pr, [key]: "{number: 1" });
            assert.match(message, /\(1 problem\)/, message);
            assert.match(message, new RegExp(`rollout-stacks:${key}: expected structured config`));
        }
    });

    it("lists every problem at once", () => {
        const message = problemsOf({ pr: { number: -1 }, deployedAt: "yesterday", domain: "x", imageTag: "a b" });
        assert.match(message, /4 problems/);
        for (const key of ["pr.number", "deployedAt", "domain", "imageTag"]) {
            assert.match(message, new RegExp(`rollout-stacks:${key.replace(".", "\\.")}:`));
        }
    });

    it("keeps backend URLs secret and their endpoints plain", async () => {
        const config = loadConfig(source({ pr, backends: { mongodb: "mongodb://app:hunter2@mongo.shared.svc.cluster.local/shop" } }));
        const mongo = config.backends.mongodb;
        assert.ok(mongo);
        assert.equal(await pulumi.isSecret(mongo.url), true);
        assert.deepEqual({ ...mongo, url: undefined }, { kind: "mongodb", host: "mongo.shared.svc.cluster.local", port: 27017, namespace: "shared", url: undefined });
    });

    it("fails the program before it registers a single resource", async () => {
        const { error, resources } = await failProgram({ config: { pr: { number: 0 }, deployedAt: "1736951400" } });
        assert.match(error.message, /rollout-stacks:pr\.number/);
        assert.match(error.message, /rollout-stacks:deployedAt/);
        assert.deepEqual(resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});
