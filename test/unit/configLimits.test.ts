import * as assert from "node:assert/strict";
import { ConfigError, loadConfig, StackConfig } from "../../config";
import { canonicalQuantity, isQuantity, parseQuantity, quantityProblem } from "../../lib/quantity";
import { parseImageReference } from "../../lib/imageRef";
import { imageProblems } from "../../policy/rules/images";
import { workloadContainers } from "../../policy/rules/workloads";
import { cliConfigSource } from "../support/configAssertions";

/**
 * Every value the API server, the kubelet or a controller would refuse is refused at preview, at
 * its own key, naming the value and the fix.
 */

const pr = { number: 123 };
const canary = { canary: { steps: [{ setWeight: 20 }, { pause: { duration: "1m" } }] } };
const service = (name: string) => ({ name, image: "ghcr.io/acme/shop", port: 8080 });
const environment = (strategy: object, more: Record<string, unknown> = {}) => ({ imageTag: "v1", environment: { name: "dev", strategy, ...more } });

function load(overrides: Record<string, unknown>): StackConfig {
    return loadConfig(cliConfigSource(overrides));
}

/** The ConfigError message for `overrides`; fails when the config is accepted. */
function problems(overrides: Record<string, unknown>): string {
    try {
        load(overrides);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.message;
    }
    assert.fail("the config was accepted");
}

/** Asserts the one problem line under the full `key` matches every pattern. */
function refused(overrides: Record<string, unknown>, key: string, patterns: RegExp[]): string {
    const message = problems(overrides);
    const line = message.split("\n").find((l) => l.startsWith(`  - ${key}: `));
    assert.ok(line, `no problem reported for ${key} in:\n${message}`);
    for (const pattern of patterns) {
        assert.match(line, pattern);
    }
    return message;
}

describe("config limits: refused at preview, at its own key", () => {
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
});
