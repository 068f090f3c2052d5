import * as assert from "node:assert/strict";
import { ConfigError, loadConfig, StackConfig } from "../../config";
import { canonicalQuantity, isQuantity, parseQuantity, quantityProblem } from "../../lib/quantity";
import { parseImageReference } from "../../lib/imageRef";
import { imageProblems } from "../../policy/rules/images";
import { workloadContainers } from "../../policy/rules/workloads";
import { cliConfigSource } from "../support/configAssertions";
import { failProgram } from "../support/program";

/**
 * Every value the API server, the kubelet or a controller would refuse is refused at preview, at
 * its own key, naming the value and the fix. Properties over generated values near each limit are
 * in kubernetesLimits.test.ts.
 */

const pr = { number: 123 };
const canary = { canary: { steps: [{ setWeight: 20 }, { pause: { duration: "1m" } }] } };
const blueGreen = { blueGreen: {} };
const service = (name: string) => ({ name, image: "ghcr.io/acme/shop", port: 8080 });
const environment = (strategy: object, more: Record<string, unknown> = {}) => ({ imageTag: "v1", environment: { name: "dev", strategy, ...more } });

function load(overrides: Record<string, unknown>, stackName?: string): StackConfig {
    return loadConfig({ ...cliConfigSource(overrides), stackName });
}

/** The ConfigError message for `overrides` in the stack `stackName`; fails when the config is accepted. */
function problems(overrides: Record<string, unknown>, stackName?: string): string {
    try {
        load(overrides, stackName);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.message;
    }
    assert.fail("the config was accepted");
}

/** Asserts the one problem line under the full `key` matches every pattern. */
function refused(overrides: Record<string, unknown>, key: string, patterns: RegExp[], stackName?: string): string {
    const message = problems(overrides, stackName);
    const line = message.split("\n").find((l) => l.startsWith(`  - ${key}: `));
    assert.ok(line, `no problem reported for ${key} in:\n${message}`);
    for (const pattern of patterns) {
        assert.match(line, pattern);
    }
    return message;
}

describe("config limits: refused at preview, at its own key", () => {
    describe("names made from a service's name", () => {
        const name = (length: number) => `s${"a".repeat(length - 1)}`;

        it("takes a name of 55 characters in an environment, whose -canary, -stable and -metrics Services are then 62 and 63", () => {
            assert.doesNotThrow(() => load({ ...environment(canary), services: [service(name(55))] }));
            assert.doesNotThrow(() => load({ ...environment(blueGreen), services: [service(name(55))] }));
        });

        for (const [strategy, kind, longest] of [[canary, "canary", "metrics"], [blueGreen, "blueGreen", "preview"]] as const) {
            it(`refuses a name of 56 characters under ${kind}, naming the ${longest} Service and the longest name that fits`, () => {
                refused({ ...environment(strategy), services: [service("cart-service"), service(name(56))] }, "rollout-stacks:services[1].name", [
                    new RegExp(`${kind} strategy gives this service the ${longest} Service, ${name(56)}-${longest}, ${57 + longest.length} characters`),
                    /a Service name has at most 63: shorten the name to at most 55 characters/,
                    new RegExp(`given: "${name(56)}"`),
                ]);
            });
        }

        it("takes names of 63 characters in a PR stack, which makes one Service per service, named after it", () => {
            assert.doesNotThrow(() => load({ pr, services: [service(name(63))] }));
        });

        it("refuses two services that would own one Service: cart's canary Service is cart-canary", () => {
            refused({ ...environment(canary), services: [service("cart"), service("cart-canary")] }, "rollout-stacks:services[1].name", [
                /gives this service the Service named after it, cart-canary, which cart \(services\[0\]\) already owns as the canary Service/,
                /rename one of them/,
            ]);
            refused({ ...environment(canary), services: [service("cart-stable"), service("cart")] }, "rollout-stacks:services[1].name", [
                /the stable Service, cart-stable, which cart-stable \(services\[0\]\) already owns as the Service named after it/,
            ]);
            refused({ ...environment(blueGreen), services: [service("cart"), service("cart-preview")] }, "rollout-stacks:services[1].name", [
                /blueGreen strategy gives this service the active Service, named after it, cart-preview, which cart \(services\[0\]\) already owns as the preview Service/,
            ]);
        });

        it("lets names share a Service only where the strategy does not make it: cart and cart-canary under blue/green", () => {
            assert.doesNotThrow(() => load({ ...environment(blueGreen), services: [service("cart"), service("cart-canary")] }));
        });

        it("refuses a PR MongoDB database name of 64 characters (pr-<n>-<service>) when the PR uses MongoDB", () => {
            const mongodb = { mongodb: "mongodb://mongo.shared.svc:27017" };
            assert.doesNotThrow(() => load({ pr, backends: mongodb, services: [service(name(56))] }));
            refused({ pr, backends: mongodb, services: [service(name(57))] }, "rollout-stacks:services[0].name", [
                new RegExp(`PR 123 gives this service the MongoDB database pr-123-${name(57)}, 64 characters; MongoDB takes at most 63: shorten the name to at most 56`),
            ]);
            assert.doesNotThrow(() => load({ pr, services: [service(name(57))] }));
        });
    });

    describe("hosts", () => {
        /** A domain of `length` characters in labels of 63. */
        const domainOf = (length: number) => {
            const labels: string[] = [];
            let left = length;
            while (left > 0) {
                const size = Math.min(63, left === 64 ? 62 : left);
                labels.push("d".repeat(size));
                left -= size + 1;
            }
            assert.equal(labels.join(".").length, length);
            return labels.join(".");
        };

        it("takes a PR host of 249 characters, whose TLS Secret <host with dashes>-tls is 253", () => {
            const domain = domainOf(249 - "pr-123.".length);
            assert.equal(load({ pr, domain }, "pr-123").domain, domain);
        });

        it("refuses a PR host whose TLS Secret name would pass 253 characters, at domain, naming both ways out", () => {
            refused({ pr, domain: domainOf(250 - "pr-123.".length) }, "rollout-stacks:domain", [
                /the host pr-123\.d+\.\.\. \(250 characters\) to the Secret pr-123-d+\.\.\. \(the host with dashes for dots, then -tls\), 254 characters/,
                /so the host may have at most 249: shorten domain or set pr\.customDomain, or name an existing Secret in pr\.tlsSecretName/,
            ]);
        });

        it("takes that host when an existing TLS Secret is named, up to 253 characters", () => {
            assert.doesNotThrow(() => load({ pr: { ...pr, tlsSecretName: "wildcard-tls" }, domain: domainOf(253 - "pr-123.".length) }));
        });

        it("refuses a PR host pr-<n>.<domain> over 253 characters", () => {
            refused({ pr: { ...pr, tlsSecretName: "wildcard-tls" }, domain: domainOf(250) }, "rollout-stacks:domain", [
                /the PR host pr-123\.<domain>, pr-123\.ddd.*, would be 257 characters long; a host name has at most 253: shorten domain or set pr\.customDomain/,
            ]);
        });

        it("refuses a domain label over 63 characters, and an IP address as a host", () => {
            refused({ pr, domain: `${"d".repeat(64)}.example.com` }, "rollout-stacks:domain", [/its label d+\.\.\. is 64 characters long; a DNS label has at most 63/]);
            refused({ pr: { ...pr, customDomain: "10.0.0.1" } }, "rollout-stacks:pr.customDomain", [/it is an IP address; an Ingress host must be a DNS name/]);
        });

        it("refuses a given host whose TLS Secret would be too long at that host's key", () => {
            refused({ pr: { ...pr, customDomain: domainOf(250) } }, "rollout-stacks:pr.customDomain", [/shorten pr\.customDomain, or name an existing Secret/]);
            refused({ ...environment(canary, { host: domainOf(250) }) }, "rollout-stacks:environment.host", [/shorten environment\.host/]);
        });

        it("refuses an environment host <name>.<domain> whose TLS Secret would be too long, at domain", () => {
            const domain = domainOf(250 - "dev.".length);
            refused({ ...environment(canary), domain }, "rollout-stacks:domain", [/shorten domain or set environment\.host, or name an existing Secret in environment\.tlsSecretName/]);
            assert.doesNotThrow(() => load({ ...environment(canary), domain: domainOf(249 - "dev.".length) }));
        });
    });

    describe("labels", () => {
        const monitoring = (resourceLabels: Record<string, string>) => ({ imageTag: "v1", platform: { monitoring: { installVia: "external", resourceLabels } } });

        it("takes the labels the API server takes: prefixed keys, empty values, 63 characters", () => {
            const labels = { release: "kube-prometheus-stack", "example.com/team": "shop_team.a", empty: "", [`${"k".repeat(63)}`]: "v".repeat(63) };
            const config = load(monitoring(labels));
            assert.ok(config.platform?.monitoring.enabled);
            assert.deepEqual(config.platform.monitoring.resourceLabels, labels);
        });

        for (const [value, why] of [
            ["shop team", /no spaces/], ["v".repeat(64), /64 characters long; a label value has at most 63/], ["-team", /start and end with a letter or digit/],
            ["team.", /start and end with a letter or digit/], ["tëam", /letters, digits/],
        ] as const) {
            it(`refuses the label value ${JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}...` : value)}, at the label's key`, () => {
                refused(monitoring({ team: value }), "rollout-stacks:platform.monitoring.resourceLabels.team", [/expected a label value such as shop-team/, why]);
            });
        }

        for (const [key, why] of [
            ["my team", /its name part is letters, digits/], ["a/b/c", /at most one '\/'/], ["Example.com/team", /its prefix "Example\.com" is not a lowercase DNS subdomain/],
            ["k".repeat(64), /its name part is 64 characters long/], ["example.com/", /its name part is 0 characters long/],
        ] as const) {
            it(`refuses the label key ${JSON.stringify(key.length > 20 ? `${key.slice(0, 10)}...` : key)}`, () => {
                refused(monitoring({ [key]: "shop" }), `rollout-stacks:platform.monitoring.resourceLabels.${key}`, [/expected a label key such as team or example\.com\/team/, why]);
            });
        }

        it("refuses an NGINX canary annotation the controller would write under a key the API server refuses", () => {
            const routed = (annotations: Record<string, string>) => ({ canary: { ...canary.canary, trafficRouting: { nginx: { additionalIngressAnnotations: annotations } } } });
            assert.doesNotThrow(() => load(environment(routed({ "canary-by-header": "X-Canary", "nginx.ingress.kubernetes.io/canary-by-cookie": "canary" }))));
            refused(environment(routed({ "canary by header": "X-Canary" })),
                "rollout-stacks:environment.strategy.canary.trafficRouting.nginx.additionalIngressAnnotations.canary by header",
                [/writes this as the annotation nginx\.ingress\.kubernetes\.io\/canary by header, which the API server would refuse/]);
        });
    });

    describe("image digests", () => {
        const digest = (hex: string, algorithm = "sha256") => `ghcr.io/pilab-hu/cart-service@${algorithm}:${hex}`;

        it("takes sha256 with 64 lowercase hex digits, sha512 with 128", () => {
            for (const image of [digest("a".repeat(64)), digest("0".repeat(128), "sha512"), `ghcr.io/pilab-hu/cart-service:v2@sha256:${"f".repeat(64)}`]) {
                assert.equal(load({ pr, images: { "cart-service": image } }).images["cart-service"], image);
            }
        });

        for (const [hex, algorithm, why] of [
            ["a".repeat(65), "sha256", /a sha256 digest has exactly 64 hex digits, this one has 65/],
            ["a".repeat(63), "sha256", /this one has 63/],
            ["a".repeat(32), "sha256", /this one has 32/],
            ["A".repeat(64), "sha256", /lowercase hex digits/],
            ["a".repeat(32), "md5", /the digest algorithm "md5" is not one the kubelet pulls by \(sha256, sha384, sha512\)/],
        ] as const) {
            it(`refuses ${algorithm}:<${hex.length} ${hex[0]}'s>, saying why`, () => {
                refused({ pr, images: { "cart-service": digest(hex, algorithm) } }, "rollout-stacks:images.cart-service", [/expected an image reference/, why]);
                assert.equal(parseImageReference(digest(hex, algorithm)), undefined);
            });
        }

        it("is refused by the pinned-images policy rule through the same parser", () => {
            const containers = (image: string) => workloadContainers({
                type: "kubernetes:apps/v1:Deployment",
                urn: "urn:pulumi:pr-7::rollout-stacks::kubernetes:apps/v1:Deployment::cart",
                props: { metadata: { name: "cart-service" }, spec: { template: { spec: { containers: [{ name: "cart-service", image }] } } } },
            });
            assert.deepEqual(imageProblems(containers(digest("a".repeat(64)))), []);
            assert.deepEqual(imageProblems(containers(digest("a".repeat(65)))), [
                `container cart-service: '${digest("a".repeat(65))}' is not a valid image reference: a sha256 digest has exactly 64 hex digits, this one has 65`,
            ]);
        });
    });

    describe("backend URLs", () => {
        for (const [what, url] of [["a trailing newline", "redis://cache.shared.svc:6379\n"], ["a leading space", " redis://cache.shared.svc:6379"],
            ["a space inside", "redis://cache.shared.svc:6379/0 1"], ["a tab", "redis://cache.shared.svc:6379\t"]] as const) {
            it(`refuses a URL with ${what}, saying so, without quoting it`, () => {
                refused({ pr, backends: { redis: url } }, "rollout-stacks:backends.redis", [/it contains whitespace \(a trailing newline, say\)/, /set it again without/, /given: "\[secret\]"/]);
            });
        }

        it("stores the URL exactly as it was checked", () => {
            assert.equal(load({ pr, backends: { redis: "redis://cache.shared.svc:6379" } }).backends.redis?.host, "cache.shared.svc");
        });

        it("refuses a backend outside the cluster whose IP blocks are not given, without quoting its URL", () => {
            const message = refused({ pr, backends: { redis: "redis://app:hunter2@cache.example.com:6380" } }, "rollout-stacks:backendNetworks.redis",
                [/names a host outside the cluster/, /pulumi config set --path 'backendNetworks\.redis\[0\]' 10\.20\.0\.0\/16/, /0\.0\.0\.0\/0 allows every address/]);
            assert.doesNotMatch(message, /hunter2|example\.com/);
        });

        it("resolves each backend's egress to its namespace, its own address, or the blocks config gives", () => {
            const config = load({
                pr,
                backends: { mongodb: "mongodb://mongo.shared.svc:27017", nats: "nats://[2001:db8:0:0::7]:4222", redis: "redis://cache.example.com" },
                backendNetworks: { redis: ["0.0.0.0/0"] },
            });
            assert.equal(config.backends.mongodb && "namespace" in config.backends.mongodb && config.backends.mongodb.namespace, "shared");
            assert.deepEqual(config.backends.nats && "cidrs" in config.backends.nats && config.backends.nats.cidrs, ["2001:db8::7/128"]);
            assert.deepEqual(config.backends.redis && "cidrs" in config.backends.redis && config.backends.redis.cidrs, ["0.0.0.0/0"]);
        });

        for (const [given, pattern] of [
            ["10.20.1.0/16", /has bits set past its \/16; write the block's first address \(10\.20\.0\.0\/16\)/],
            ["10.20.0.0/33", /the prefix length 33 is not a whole number from 0 to 32/],
            ["10.20.0.0/016", /the prefix length 016 is not a whole number/],
            ["10.20.0.0", /expected an IP block such as 10\.20\.0\.0\/16/],
            ["cache.example.com/32", /cache\.example\.com is not an IPv4 or IPv6 address/],
            ["2001:db8::1/64", /write the block's first address \(2001:db8::\/64\)/],
        ] as const) {
            it(`refuses the IP block ${given} at its own key`, () => {
                refused({ pr, backends: { redis: "redis://cache.example.com" }, backendNetworks: { redis: ["10.30.0.0/16", given] } },
                    "rollout-stacks:backendNetworks.redis[1]", [pattern]);
            });
        }

        it("refuses IP blocks for a backend that is not set", () => {
            refused({ pr, backendNetworks: { nats: ["10.20.0.0/16"] } }, "rollout-stacks:backendNetworks.nats",
                [/backends\.nats is not set, so there is no nats to reach; set backends\.nats or remove backendNetworks\.nats/]);
        });

        it("uses a Prometheus address as zod's URL check normalises it, without a trailing newline", () => {
            const config = load(environment(canary, { analysis: { prometheusAddress: "http://prometheus.monitoring.svc:9090\n" } }));
            assert.equal(config.environment?.analysis.prometheusAddress, "http://prometheus.monitoring.svc:9090");
        });
    });

    describe("quantities", () => {
        const withLimit = (cpu: string) => ({ pr, services: [{ ...service("cart-service"), resources: { limits: { cpu, memory: "256Mi" } } }] });

        for (const [value, why] of [
            ["1e30000", /its exponent 30000 has more than 3 digits/],
            ["1e2000000", /its exponent 2000000 has more than 3 digits/],
            ["1e-2000000", /its exponent -2000000 has more than 3 digits/],
            [`1${"0".repeat(2_000_000)}`, /it is 2000001 characters long; a quantity has at most 40 digits/],
            ["1e19", /beyond the largest amount a Kubernetes quantity holds \(2\^63-1 = 9223372036854775807/],
            ["8Ei", /beyond the largest amount/],
        ] as const) {
            const shown = value.length > 20 ? `${value.slice(0, 6)}... (${value.length} characters)` : value;
            it(`refuses the limit ${shown} by its syntax or range, at the service's key and not the quota's`, () => {
                const message = refused(withLimit(value), "rollout-stacks:services[0].resources.limits.cpu", [/expected a positive Kubernetes quantity/, why]);
                assert.doesNotMatch(message, /pr\.quota/);
                assert.equal(quantityProblem(value) === undefined, false);
                assert.equal(parseQuantity(value), undefined);
                assert.equal(canonicalQuantity(value), undefined);
            });
        }

        it("takes amounts up to 2^63-1 base units and the smallest, 1n", () => {
            for (const value of ["9223372036854775807", "7Ei", "9.2e18", "9223372036854775807000m", "1n", "1e-999"]) {
                assert.ok(isQuantity(value), value);
            }
            for (const value of ["9223372036854775808", "9223372036854775807001m", "9.3E"]) {
                assert.ok(!isQuantity(value), value);
            }
            const quota = { requestsCpu: "9223372036854775807", requestsMemory: "7Ei", limitsCpu: "9e18", limitsMemory: "7Ei" };
            assert.deepEqual({ ...load({ pr: { ...pr, quota } }).pr?.quota, pods: undefined }, { ...quota, pods: undefined });
        });

        it("refuses a quota out of range at the quota's own key", () => {
            refused({ pr: { ...pr, quota: { limitsCpu: "1e30000" } } }, "rollout-stacks:pr.quota.limitsCpu", [/its exponent 30000 has more than 3 digits/]);
        });
    });

    describe("a stack's name and its config agree on whether it is a PR stack", () => {
        it("takes PR 7 in the stack pr-7 and an environment in dev", () => {
            assert.equal(load({ pr: { number: 7 } }, "pr-7").pr?.number, 7);
            assert.equal(load({ pr: { number: 7 } }, "acme/rollout-stacks/pr-7").pr?.number, 7);
            assert.equal(load(environment(canary), "dev").environment?.name, "dev");
        });

        for (const key of ["environment", "platform"] as const) {
            it(`refuses ${key} in a stack named pr-<n>, which the reaper destroys with its PR`, () => {
                const config = key === "environment" ? environment(canary) : { platform: { monitoring: { installVia: "external" } } };
                refused(config, `rollout-stacks:${key}`, [
                    /the stack pr-7 is named as PR 7's, and the release bot's reaper pauses and destroys every pr-<n> stack/,
                    new RegExp(`set ${key} in a stack of another name \\(such as dev or prod\\), or make this PR 7's stack with pr\\.number 7`),
                ], "pr-7");
            });
        }

        for (const stack of ["prod", "dev", "pr-007", "pr-7-retry", "sandbox"]) {
            it(`refuses a PR in the stack ${stack}, naming the stack to use`, () => {
                refused({ pr: { number: 7 } }, "rollout-stacks:pr", [
                    new RegExp(`the stack ${stack} is not named pr-<n>`),
                    /deploy this PR in the stack pr-7 \(pulumi stack init pr-7\), or set environment instead of pr/,
                    /given: \{"number":7\}/,
                ], stack);
            });
        }

        it("refuses a PR in a stack named for another PR, at pr.number", () => {
            refused({ pr: { number: 7 } }, "rollout-stacks:pr.number", [/the stack pr-8 is for PR 8; set pr\.number to 8 or use the stack pr-7/], "pr-8");
        });

        it("lists the pairing with the config's other problems", () => {
            const message = problems({ pr: { number: 7 }, deployedAt: "yesterday" }, "prod");
            assert.match(message, /2 problems/);
            assert.match(message, /rollout-stacks:pr: the stack prod/);
            assert.match(message, /rollout-stacks:deployedAt:/);
        });

        it("is checked for the stack the program runs in, before any resource is registered", async () => {
            const inProd = await failProgram({ stack: "prod", config: { pr: { number: 7 } } });
            assert.match(inProd.error.message, /rollout-stacks:pr: the stack prod is not named pr-<n>/);
            assert.deepEqual(inProd.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
            const inPr = await failProgram({ stack: "pr-5", config: environment(canary) });
            assert.match(inPr.error.message, /rollout-stacks:environment: the stack pr-5 is named as PR 5's/);
            assert.deepEqual(inPr.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
        });
    });

    describe("numbers", () => {
        it("says a negative replica count is out of 0 to 100, not that it is no whole number", () => {
            refused({ pr, services: [{ ...service("cart-service"), replicas: -1 }] }, "rollout-stacks:services[0].replicas",
                [/expected a whole number of replicas from 0 to 100 \(given: -1\)$/]);
        });

        it("shows a number too large for a double as it was written, not as null", () => {
            const services = `[{"name":"cart-service","image":"acme/cart","port":8080,"replicas":1e400}]`;
            refused({ pr, services }, "rollout-stacks:services[0].replicas", [/\(given: 1e400\)$/]);
            refused({ pr: `{"number":-1e400}` }, "rollout-stacks:pr.number", [/\(given: -1e400\)$/]);
            refused({ pr: `{"number":12345678901234567890}` }, "rollout-stacks:pr.number", [/\(given: 12345678901234567890\)$/]);
        });

        it("quotes a whole value with its numbers as written, and keeps strings that look like numbers as strings", () => {
            refused({ pr: `{"number":1e400,"services":["1e400"]}` }, "rollout-stacks:pr.number", [/\(given: 1e400\)$/]);
            refused({ pr: `{"number":1,"services":["1e400"]}` }, "rollout-stacks:pr.services[0]", [/no service named 1e400/, /\(given: "1e400"\)$/]);
        });

        it("still masks a number given where a secret goes, or where an object holding one does", () => {
            refused({ pr, backends: `{"redis":1e400}` }, "rollout-stacks:backends.redis", [/\(given: "\[secret\]"\)$/]);
            refused({ imageTag: "v1", platform: `{"monitoring":1e400}` }, "rollout-stacks:platform.monitoring", [/\(given: "\[secret\]"\)$/]);
        });

        it("refuses a whole number the rollouts controller would not read into 32 bits", () => {
            refused(environment({ canary: { ...canary.canary, scaleDownDelaySeconds: 2 ** 31, trafficRouting: { nginx: {} } } }),
                "rollout-stacks:environment.strategy.canary.scaleDownDelaySeconds", [/at most 2147483647/]);
            for (const maxSurge of ["99999999999%", "2147483648%", 2 ** 31]) {
                refused(environment({ canary: { ...canary.canary, maxSurge } }), "rollout-stacks:environment.strategy.canary.maxSurge", [/at most 2147483647/]);
            }
            assert.doesNotThrow(() => load(environment({ canary: { ...canary.canary, maxSurge: "2147483647%" } })));
        });
    });
});
