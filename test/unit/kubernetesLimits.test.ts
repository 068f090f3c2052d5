import * as assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../../config";
import { cliConfigSource } from "../support/configAssertions";
import {
    isDns1035Label, isLabelValue, isQualifiedName, isStoredQuantity, programViolations,
} from "../support/kubernetesRules";
import { runProgram } from "../support/program";

/**
 * Properties over names, domains, labels and quantities generated near every limit: whatever the
 * config accepts, the objects the program then emits on mocks are valid for the real API server
 * and kubelet (test/support/kubernetesRules.ts, written from apimachinery's rules apart from the
 * program's, and kubernetes-models' schemas); and what is valid is not refused.
 */

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";

/** A length near `limit` (just under, at, just over), or a short one. */
const lengthNear = (limit: number) => fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: limit - 8, max: limit + 2 }));

/** A DNS-1035 label of `length` characters: a letter, then letters, digits and dashes, ending in a letter or digit. */
function dnsLabelOf(length: number, first = LETTERS): fc.Arbitrary<string> {
    const inner = fc.array(fc.constantFrom(...`${LETTERS}${DIGITS}-`), { minLength: Math.max(0, length - 2), maxLength: Math.max(0, length - 2) });
    const last = fc.constantFrom(...`${LETTERS}${DIGITS}`);
    return length === 1
        ? fc.constantFrom(...first)
        : fc.tuple(fc.constantFrom(...first), inner, last).map(([a, b, c]) => `${a}${b.join("")}${c}`);
}

/**
 * Service names with lengths near `limit` (63 for a PR's Services, 55 where an environment adds
 * -metrics or -preview), some given a suffix that collides with another's derived Service.
 */
const serviceNames = (limit: number) => fc.uniqueArray(
    fc.tuple(lengthNear(limit).chain((n) => dnsLabelOf(n)), fc.constantFrom("", "", "", "", "", "-canary", "-stable", "-metrics", "-preview"))
        .map(([base, suffix]) => `${base}${suffix}`),
    { minLength: 1, maxLength: 3 },
).chain((names) => fc.nat(9).map((collide) => (collide === 0 && names[0]!.length < 50 ? [...names, `${names[0]}-canary`, `${names[0]}-preview`] : names)));

/** Domains of two to four labels, some near 63 characters, so that hosts land on both sides of 253. */
const domains = fc.array(lengthNear(63).chain((n) => dnsLabelOf(n, `${LETTERS}${DIGITS}`)), { minLength: 2, maxLength: 4 })
    .map((labels) => labels.join("."));

/** Label keys and values near 63 characters, with a character the API server refuses one time in `rarity`. */
const labelText = (limit: number, rarity = 34) => lengthNear(limit).chain((n) => fc.array(
    fc.oneof({ weight: rarity - 4, arbitrary: fc.constantFrom(...`${LETTERS}${DIGITS}`) }, { weight: 3, arbitrary: fc.constantFrom("-", "_", ".") },
        { weight: 1, arbitrary: fc.constantFrom(" ", "/", "A", "é", "\n") }),
    { minLength: n, maxLength: n },
).map((chars) => chars.join("")));
const labelMaps = (rarity?: number) => fc.dictionary(
    fc.oneof(labelText(63, rarity), fc.tuple(fc.constantFrom("example.com", "rollout-stacks.io", "Example.com"), labelText(63, rarity)).map(([p, n]) => `${p}/${n}`)),
    fc.oneof(labelText(63, rarity), fc.constant("")),
    { minKeys: 1, maxKeys: 2 },
);

/** Quantities around the grammar's and the range's bounds: up to 45 digits, exponents up to four digits. */
const quantities = fc.tuple(
    fc.constantFrom("", "", "+", "-"),
    fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 25n }).map(String), fc.integer({ min: 38, max: 45 }).map((n) => "9".repeat(n)), fc.constant("0")),
    fc.option(fc.integer({ min: 0, max: 999 }).map((f) => String(f).padStart(3, "0")), { nil: undefined }),
    fc.oneof(fc.constantFrom("", "m", "n", "k", "M", "G", "E", "Ki", "Mi", "Gi", "Ei"),
        fc.tuple(fc.constantFrom("e", "E"), fc.integer({ min: -1100, max: 1100 })).map(([e, x]) => `${e}${x}`)),
).map(([sign, whole, fraction, suffix]) => `${sign}${whole}${fraction === undefined ? "" : `.${fraction}`}${suffix}`);

function accepted(overrides: Record<string, unknown>, stackName: string): boolean {
    try {
        loadConfig({ ...cliConfigSource(overrides), stackName });
        return true;
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return false;
    }
}

/** Asserts the program's objects for an accepted config break no rule; counts what was accepted. */
async function emitsValidObjects(config: Record<string, unknown>, stack: string, tally: { accepted: number; refused: number }): Promise<void> {
    if (!accepted(config, stack)) {
        tally.refused += 1;
        return;
    }
    tally.accepted += 1;
    const run = await runProgram({ stack, config });
    const violations = await programViolations(run.resources);
    assert.deepEqual(violations, [], `accepted, yet the API server or the kubelet would refuse:\n${violations.join("\n")}\nconfig: ${JSON.stringify(config)}`);
}

const service = (name: string) => ({ name, image: "ghcr.io/acme/shop", port: 8080 });

interface EnvironmentCase {
    readonly names: string[];
    readonly name: string;
    readonly domain: string;
    readonly host: string | undefined;
    readonly tlsSecretName: string | undefined;
    readonly strategy: Record<string, unknown>;
    readonly resourceLabels: Record<string, string>;
}

/** A domain of four labels, `length` characters in all (at least 193). */
const longDomain = (length: number) => `${"d".repeat(63)}.${"d".repeat(63)}.${"d".repeat(63)}.${"d".repeat(length - 192)}`;

/** An environment at every limit at once, and one step past each limit in turn. */
function environmentExamples(): EnvironmentCase[] {
    const routed = (annotations: Record<string, string>) => ({ canary: { steps: [{ setWeight: 20 }], trafficRouting: { nginx: { additionalIngressAnnotations: annotations } } } });
    const atLimits: EnvironmentCase = {
        names: [`s${"a".repeat(54)}`, "cart"], name: "dev", domain: longDomain(245), host: undefined, tlsSecretName: undefined,
        strategy: routed({ [`x${"c".repeat(62)}`]: "x" }),
        resourceLabels: { [`example.com/${"k".repeat(63)}`]: "v".repeat(63), empty: "" },
    };
    return [
        atLimits,
        { ...atLimits, names: [`s${"a".repeat(55)}`] },
        { ...atLimits, names: ["cart", "cart-canary"] },
        { ...atLimits, domain: longDomain(246) },
        { ...atLimits, host: "10.0.0.1" },
        { ...atLimits, resourceLabels: { [`example.com/${"k".repeat(64)}`]: "v" } },
        { ...atLimits, resourceLabels: { team: "shop team" } },
        { ...atLimits, strategy: routed({ "canary by header": "X-Canary" }) },
        { ...atLimits, strategy: routed({ [`x${"c".repeat(63)}`]: "x" }) },
    ];
}

interface PrCase {
    readonly names: string[];
    readonly number: number;
    readonly domain: string;
    readonly customDomain: string | undefined;
    readonly tlsSecretName: string | undefined;
    readonly mongodb: boolean;
    readonly limitsCpu: string;
}

/** A PR stack at every limit at once (its host 249 characters, so its TLS Secret 253), and one step past each in turn. */
function prExamples(): PrCase[] {
    const atLimits: PrCase = {
        names: [`s${"a".repeat(62)}`], number: 123, domain: longDomain(242), customDomain: undefined, tlsSecretName: undefined, mongodb: false, limitsCpu: "4e18",
    };
    return [
        atLimits,
        { ...atLimits, number: 1234 },
        { ...atLimits, customDomain: "10.0.0.1" },
        { ...atLimits, tlsSecretName: "wildcard-tls", domain: longDomain(247) },
    ];
}

function prConfig(p: PrCase): Record<string, unknown> {
    const quota = { requestsCpu: "9e18", requestsMemory: "7Ei", limitsCpu: "9e18", limitsMemory: "7Ei", pods: 1000 };
    return {
        services: p.names.map((name) => ({ ...service(name), resources: { limits: { cpu: p.limitsCpu, memory: "1Gi" } } })),
        domain: p.domain,
        pr: { number: p.number, customDomain: p.customDomain, tlsSecretName: p.tlsSecretName, quota },
        ...(p.mongodb ? { backends: { mongodb: "mongodb://mongo.shared.svc:27017" } } : {}),
    };
}

function environmentConfig(e: EnvironmentCase): Record<string, unknown> {
    const off = { enabled: false };
    return {
        services: e.names.map(service),
        domain: e.domain,
        imageTag: "v1",
        environment: { name: e.name, strategy: e.strategy, host: e.host, tlsSecretName: e.tlsSecretName },
        platform: { argoRollouts: { installVia: "external" }, argoCd: off, certManager: off, monitoring: { installVia: "external", resourceLabels: e.resourceLabels } },
    };
}

describe("Kubernetes limits: what config accepts, the API server takes", function () {
    // Each accepted case runs the program on mocks; generous, as the machine may be busy.
    this.timeout(300_000);

    it("accepts a quantity when the API server stores it as written and it is above zero, and only then (up to 40 digits and a 3-digit exponent)", () => {
        // In an environment, where no quota sums the requests; the limit is the largest quantity there is.
        const withRequest = (cpu: string) => ({
            services: [{ ...service("cart"), resources: { requests: { cpu, memory: "64Mi" }, limits: { cpu: "9223372036854775807", memory: "7Ei" } } }],
            imageTag: "v1",
            environment: { name: "dev", strategy: { blueGreen: {} } },
        });
        fc.assert(fc.property(quantities, (value) => {
            const taken = accepted(withRequest(value), "dev");
            const number = value.replace(/[eE][+-]?\d+$|[a-zA-Z]+$/, "");
            const withinBounds = number.replace(/\D/g, "").length <= 40 && (/[eE][+-]?(\d+)$/.exec(value)?.[1]?.length ?? 0) <= 3;
            const valid = isStoredQuantity(value) && !number.startsWith("-") && /[1-9]/.test(number);
            assert.equal(taken, valid && withinBounds, `${value}: accepted ${taken}, stored as written and positive ${valid}`);
        }), { numRuns: 2000, examples: [["9223372036854775807"], ["9223372036854775808"], ["7Ei"], ["8Ei"], ["1e-999"], ["1e1000"], ["9".repeat(40)], ["9".repeat(41)]] });
    });

    it("accepts label maps exactly when every key and value is one the API server takes", () => {
        fc.assert(fc.property(labelMaps(), (labels) => {
            const taken = accepted({ imageTag: "v1", platform: { monitoring: { installVia: "external", resourceLabels: labels } } }, "dev");
            const valid = Object.entries(labels).every(([key, value]) => isQualifiedName(key) && isLabelValue(value));
            assert.equal(taken, valid, JSON.stringify(labels));
        }), { numRuns: 1000, examples: [[{ ["k".repeat(63)]: "v".repeat(63) }], [{ ["k".repeat(64)]: "v" }], [{ k: "v".repeat(64) }], [{ "example.com/": "v" }]] });
    });

    it("accepts service names whenever every Service the strategy makes of them is a distinct DNS-1035 label", () => {
        const strategies = { canary: ["", "-stable", "-canary", "-metrics"], blueGreen: ["", "-preview", "-metrics"] } as const;
        fc.assert(fc.property(serviceNames(55), fc.constantFrom("canary", "blueGreen"), (names, kind) => {
            const strategy = kind === "canary" ? { canary: { steps: [{ setWeight: 20 }] } } : { blueGreen: {} };
            const taken = accepted({ services: names.map(service), imageTag: "v1", environment: { name: "dev", strategy } }, "dev");
            const made = names.flatMap((name) => strategies[kind].map((suffix) => `${name}${suffix}`));
            const valid = made.every(isDns1035Label) && new Set(made).size === made.length;
            assert.equal(taken, valid, `${kind}: ${names.join(", ")}`);
        }), { numRuns: 1000 });
    });

    it("emits only valid objects for every environment it accepts: Service names, hosts, TLS Secrets, labels", async () => {
        const tally = { accepted: 0, refused: 0 };
        const routing = fc.option(fc.dictionary(labelText(35, 300), fc.constant("x"), { minKeys: 1, maxKeys: 1 }), { nil: undefined });
        const strategy = fc.oneof(
            routing.map((annotations) => ({ canary: { steps: [{ setWeight: 20 }], ...(annotations === undefined ? {} : { trafficRouting: { nginx: { additionalIngressAnnotations: annotations } } }) } })),
            fc.constant({ blueGreen: {} }),
        );
        const environments = fc.record({
            names: serviceNames(55),
            name: fc.oneof(fc.constantFrom("dev", "prod"), lengthNear(63).chain((n) => dnsLabelOf(n))),
            domain: domains,
            host: fc.option(domains, { nil: undefined, freq: 3 }),
            tlsSecretName: fc.option(fc.constant("wildcard-tls"), { nil: undefined }),
            strategy,
            resourceLabels: labelMaps(300),
        });
        assert.ok(accepted(environmentConfig(environmentExamples()[0]!), "dev"), "an environment at every limit is refused");
        await fc.assert(fc.asyncProperty(environments, async (e) => emitsValidObjects(environmentConfig(e), "dev", tally)), {
            numRuns: 40,
            // At each limit, then one step past one limit at a time: config must refuse each, or the objects show why.
            examples: environmentExamples().map((example) => [example]),
        });
        assert.ok(tally.accepted > 0, "no generated environment was accepted: the property checked nothing");
    });

    it("emits only valid objects for every PR stack it accepts: namespace, host, TLS Secret, quantities", async () => {
        const tally = { accepted: 0, refused: 0 };
        const prs = fc.record({
            names: serviceNames(63),
            number: fc.oneof(fc.integer({ min: 1, max: 99999 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
            domain: domains,
            customDomain: fc.option(domains, { nil: undefined, freq: 3 }),
            tlsSecretName: fc.option(fc.constant("wildcard-tls"), { nil: undefined }),
            mongodb: fc.boolean(),
            // Mostly amounts a service might ask for, now and then one near a bound.
            limitsCpu: fc.oneof(
                { weight: 1, arbitrary: quantities },
                { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom("m", "", "k", "M", "e3", "e-2", "Ki")).map(([n, unit]) => `${n}${unit}`) },
            ),
        });
        assert.ok(accepted(prConfig(prExamples()[0]!), "pr-123"), "a PR stack at every limit is refused");
        await fc.assert(fc.asyncProperty(prs, async (p) => emitsValidObjects(prConfig(p), `pr-${p.number}`, tally)), {
            numRuns: 40,
            examples: prExamples().map((example) => [example]),
        });
        assert.ok(tally.accepted > 0, "no generated PR stack was accepted: the property checked nothing");
    });
});
