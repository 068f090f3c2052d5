import * as assert from "node:assert/strict";
import { DEFAULT_APP_METRICS, POD_TEMPLATE_HASH_METRIC_LABEL } from "../../lib/appMetrics";
import { kubeStateLabel, PR_NAMESPACE_LABEL, ROLLOUT_REVISIONS, ROLLOUT_STEP, ROLLOUT_TRAFFIC_WEIGHT } from "../../lib/rolloutMetrics";
import {
    advanceCounters, ClusterSnapshot, emptyCounters, histogramSamples, LATENCY_BUCKETS, MetricsSource, PodState,
    renderExposition, TrafficProfile, validateProfile,
} from "../e2e/support/metricsSource";

/** One parsed sample line. */
interface Parsed {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly value: number;
}

/**
 * A strict reader of the text exposition format 0.0.4, as Prometheus reads it: HELP then TYPE then
 * the family's samples, valid names, escaped label values, float values.
 */
function parseExposition(text: string): { families: Map<string, string>; samples: Parsed[] } {
    assert.ok(text === "" || text.endsWith("\n"), "the exposition ends with a newline");
    const families = new Map<string, string>();
    const samples: Parsed[] = [];
    let current: { name: string; type: string } | undefined;
    let helpFor: string | undefined;
    for (const line of text.split("\n").slice(0, -1)) {
        const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
        const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
        if (help !== null) {
            assert.ok(!families.has(help[1]!), `family ${help[1]} appears once`);
            helpFor = help[1];
            continue;
        }
        if (type !== null) {
            assert.equal(type[1], helpFor, "TYPE follows the family's HELP");
            current = { name: type[1]!, type: type[2]! };
            families.set(current.name, current.type);
            continue;
        }
        const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        assert.ok(sample !== null, `a sample line: ${line}`);
        assert.ok(current !== undefined, `sample after a TYPE line: ${line}`);
        const suffixes = current.type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
        assert.ok(suffixes.some((suffix) => sample[1] === current!.name + suffix), `${sample[1]} belongs to ${current.name}`);
        const labels: Record<string, string> = {};
        let rest = sample[2] ?? "";
        while (rest !== "") {
            const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
            assert.ok(label !== null, `well-formed labels: ${rest}`);
            labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_, c: string) => c === "n" ? "\n" : c);
            rest = rest.slice(label[0].length);
        }
        const value = sample[3] === "+Inf" ? Infinity : sample[3] === "-Inf" ? -Infinity : Number(sample[3]);
        assert.ok(sample[3] === "NaN" || !Number.isNaN(value), `a float value: ${sample[3]}`);
        samples.push({ name: sample[1]!, labels, value });
    }
    return { families, samples };
}

/** histogram_quantile over classic buckets, as Prometheus computes it (promql/quantile.go bucketQuantile). */
function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number {
    const sorted = [...buckets].sort((a, b) => a.le - b.le);
    const total = sorted[sorted.length - 1]!.count;
    let rank = q * total;
    const b = sorted.findIndex((bucket) => bucket.count >= rank);
    if (b === sorted.length - 1) {
        return sorted[sorted.length - 2]!.le;
    }
    let start = 0;
    let count = sorted[b]!.count;
    if (b > 0) {
        start = sorted[b - 1]!.le;
        count -= sorted[b - 1]!.count;
        rank -= sorted[b - 1]!.count;
    }
    return start + (sorted[b]!.le - start) * (rank / count);
}

function bucketsOf(samples: Parsed[], name: string): { le: number; count: number }[] {
    return samples.filter((s) => s.name === `${name}_bucket`)
        .map((s) => ({ le: s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), count: s.value }));
}

const profile = (requestsPerSecond: number, errorRatio: number, p99Ms: number): TrafficProfile => ({ requestsPerSecond, errorRatio, p99Ms });

function pod(name: string, image: string, extra: Partial<PodState> = {}): PodState {
    return {
        namespace: "shop",
        name,
        uid: `uid-${name}`,
        labels: { "app.kubernetes.io/name": "cart-service", "rollouts-pod-template-hash": "abc123" },
        running: true,
        containers: [{ name: "cart-service", image }],
        ...extra,
    };
}

/** A MetricsSource on a fixed cluster read and a clock the test moves. */
function fakeSource(snapshot: ClusterSnapshot) {
    const clock = { now: 1_000_000 };
    const source = new MetricsSource({ lister: async () => snapshot, namespaces: ["shop"], clock: () => clock.now });
    return { source, clock, scrape: async () => parseExposition(await source.render()).samples };
}

describe("metrics source", () => {
    describe("exposition format", () => {
        it("renders HELP, TYPE and samples Prometheus can parse, escaping label values", () => {
            const tricky = "a \"quoted\" back\\slash and a\nnewline";
            const text = renderExposition([
                { name: "things_total", help: "Things, with a back\\slash\nand a newline.", type: "counter", samples: [{ name: "things_total", labels: { kind: tricky }, value: 3 }] },
                { name: "temperature", help: "Degrees.", type: "gauge", samples: [{ name: "temperature", labels: {}, value: -Infinity }] },
            ]);
            const { families, samples } = parseExposition(text);
            assert.deepEqual([...families], [["things_total", "counter"], ["temperature", "gauge"]]);
            assert.equal(samples[0]!.labels.kind, tricky);
            assert.equal(samples[1]!.value, -Infinity);
            assert.match(text, /^# HELP things_total Things, with a back\\\\slash\\nand a newline\.$/m);
        });

        it("refuses names Prometheus would reject and samples outside their family", () => {
            const family = (name: string, sampleName: string, labels: Record<string, string> = {}) =>
                [{ name, help: "h", type: "counter" as const, samples: [{ name: sampleName, labels, value: 1 }] }];
            assert.throws(() => renderExposition(family("http-requests", "http-requests")), /invalid metric name/);
            assert.throws(() => renderExposition(family("ok_total", "ok_total", { "status-code": "200" })), /invalid label name/);
            assert.throws(() => renderExposition(family("ok_total", "other_total")), /does not belong/);
            assert.throws(() => renderExposition([...family("ok_total", "ok_total"), ...family("ok_total", "ok_total")]), /listed twice/);
        });

        it("renders a histogram's buckets cumulatively, ending at +Inf equal to _count", () => {
            const counters = advanceCounters(emptyCounters(), profile(7, 0.1, 320), 60);
            const { families, samples } = parseExposition(renderExposition([{
                name: "latency_seconds", help: "h", type: "histogram", samples: histogramSamples("latency_seconds", { pod: "p" }, counters),
            }]));
            assert.equal(families.get("latency_seconds"), "histogram");
            const buckets = samples.filter((s) => s.name === "latency_seconds_bucket");
            assert.deepEqual(buckets.map((s) => s.labels.le), [...LATENCY_BUCKETS.map(String), "+Inf"]);
            buckets.slice(1).forEach((bucket, i) => assert.ok(bucket.value >= buckets[i]!.value, `bucket le=${bucket.labels.le} is cumulative`));
            const count = samples.find((s) => s.name === "latency_seconds_count")!.value;
            assert.equal(buckets[buckets.length - 1]!.value, count);
            assert.ok(Math.abs(count - 420) < 1e-9, `count ${count} is 7 requests/s over 60 s`);
        });
    });

    describe("traffic", () => {
        it("grows counters by rate times elapsed time, profile by profile", () => {
            const first = advanceCounters(emptyCounters(), profile(10, 0.3, 250), 30);
            assert.ok(Math.abs(first.count - 300) < 1e-9 && Math.abs(first.errors - 90) < 1e-9 && Math.abs(first.ok - 210) < 1e-9, JSON.stringify(first));
            const second = advanceCounters(first, profile(2, 0, 250), 5);
            assert.ok(Math.abs(second.count - 310) < 1e-9 && Math.abs(second.errors - 90) < 1e-9, JSON.stringify(second));
            assert.equal(advanceCounters(second, profile(0, 0, 250), 100), second);
        });

        it("places histogram_quantile(0.99) on the profile's p99 across the bucket range", () => {
            for (const p99Ms of [5.5, 8, 10, 17, 50, 99, 120, 250, 400, 500, 777, 1000, 2400, 6000, 10_000]) {
                const counters = advanceCounters(emptyCounters(), profile(50, 0, p99Ms), 60);
                const samples = parseExposition(renderExposition([{
                    name: "d", help: "h", type: "histogram", samples: histogramSamples("d", {}, counters),
                }])).samples;
                const quantileMs = histogramQuantile(0.99, bucketsOf(samples, "d")) * 1000;
                assert.ok(Math.abs(quantileMs - p99Ms) <= p99Ms * 0.001, `p99 ${p99Ms} ms gives ${quantileMs} ms`);
            }
        });

        it("refuses a latency outside the buckets, an error ratio beyond 0..1 and a negative rate", () => {
            assert.throws(() => validateProfile(profile(1, 0, 5)), /p99Ms must be above 5 and at most 10000/);
            assert.throws(() => validateProfile(profile(1, 0, 10_001)), /p99Ms/);
            assert.throws(() => validateProfile(profile(1, 1.5, 100)), /errorRatio/);
            assert.throws(() => validateProfile(profile(-1, 0, 100)), /requestsPerSecond/);
        });
    });

    describe("serving pods", () => {
        const snapshot: ClusterSnapshot = {
            pods: [
                pod("cart-stable", "acme/cart:v1"),
                pod("cart-canary", "acme/cart:v2", { labels: { "app.kubernetes.io/name": "cart-service", "rollouts-pod-template-hash": "def456" } }),
                pod("cart-pending", "acme/cart:v2", { running: false, containers: [{ name: "cart-service", image: "acme/cart:v2", waitingReason: "ImagePullBackOff" }] }),
            ],
            rollouts: [
                { namespace: "shop", name: "cart-service", status: { stableRS: "abc123", currentPodHash: "def456", currentStepIndex: 2, canary: { weights: { canary: { podTemplateHash: "def456", weight: 20 }, stable: { podTemplateHash: "abc123", weight: 80 } } } } },
                { namespace: "shop", name: "order-service", status: { stableRS: "aaa", currentPodHash: "aaa" } },
            ],
            namespaces: [{ name: "shop", labels: { [PR_NAMESPACE_LABEL]: "42" } }],
        };

        it("gives an error ratio of 0.3 as a 5xx share of 0.3 of the rate, labelled as the ServiceMonitor labels", async () => {
            const { source, clock, scrape } = fakeSource(snapshot);
            source.setDefaultProfile(profile(10, 0, 100));
            source.setProfile("acme/cart:v2", profile(20, 0.3, 900));
            const before = await scrape();
            clock.now += 60_000;
            const after = await scrape();
            const increase = (podName: string, code?: string) => {
                const total = (samples: Parsed[]) => samples
                    .filter((s) => s.name === DEFAULT_APP_METRICS.requests && s.labels.pod === podName && (code === undefined || s.labels.code === code))
                    .reduce((sum, s) => sum + s.value, 0);
                return total(after) - total(before);
            };
            assert.ok(Math.abs(increase("cart-canary") - 1200) < 1e-6, `canary served ${increase("cart-canary")}`);
            assert.ok(Math.abs(increase("cart-canary", "500") / increase("cart-canary") - 0.3) < 1e-9);
            assert.ok(Math.abs(increase("cart-stable") - 600) < 1e-6, `stable served ${increase("cart-stable")}`);
            const canary = after.find((s) => s.name === DEFAULT_APP_METRICS.requests && s.labels.pod === "cart-canary" && s.labels.code === "500");
            assert.deepEqual(canary?.labels, { namespace: "shop", job: "cart-service", pod: "cart-canary", [POD_TEMPLATE_HASH_METRIC_LABEL]: "def456", code: "500" });
        });

        it("exports no 5xx series before a pod's first error, and no request series at all without traffic", async () => {
            const { source, clock, scrape } = fakeSource(snapshot);
            source.setProfile("acme/cart:v1", profile(10, 0, 100));
            await scrape();
            clock.now += 10_000;
            const samples = await scrape();
            const requests = samples.filter((s) => s.name === DEFAULT_APP_METRICS.requests);
            assert.deepEqual(requests.map((s) => [s.labels.pod, s.labels.code]), [["cart-stable", "200"]]);
            assert.ok(!samples.some((s) => s.labels.pod === "cart-canary" && s.name.startsWith(DEFAULT_APP_METRICS.latency)), "the idle canary has no histogram");
            assert.ok(!samples.some((s) => s.labels.pod === "cart-pending" && s.name.startsWith("http_")), "a pod that is not Running serves nothing");
        });

        it("integrates counters from the moment the source first saw the pod", async () => {
            const { source, clock, scrape } = fakeSource(snapshot);
            source.setDefaultProfile(profile(5, 0, 100));
            await scrape();
            clock.now += 4_000;
            const count = (await scrape()).find((s) => s.name === `${DEFAULT_APP_METRICS.latency}_count` && s.labels.pod === "cart-stable");
            assert.ok(count !== undefined && Math.abs(count.value - 20) < 1e-9, `count ${count?.value} is 5/s over 4 s`);
        });

        it("exports the kube-state-metrics series of Rollouts, containers and namespace labels", async () => {
            const { scrape } = fakeSource(snapshot);
            const samples = await scrape();
            const of = (name: string) => samples.filter((s) => s.name === name).map((s) => [s.labels, s.value]);
            assert.deepEqual(of(ROLLOUT_REVISIONS), [
                [{ namespace: "shop", rollout: "cart-service", stable_hash: "abc123", current_hash: "def456" }, 1],
                [{ namespace: "shop", rollout: "order-service", stable_hash: "aaa", current_hash: "aaa" }, 1],
            ]);
            assert.deepEqual(of(ROLLOUT_STEP), [[{ namespace: "shop", rollout: "cart-service" }, 2]]);
            assert.deepEqual(of(ROLLOUT_TRAFFIC_WEIGHT), [[{ namespace: "shop", rollout: "cart-service" }, 20]]);
            assert.deepEqual(of("kube_pod_container_info").map(([labels]) => labels), ["cart-stable", "cart-canary", "cart-pending"].map((name, i) =>
                ({ namespace: "shop", pod: name, container: "cart-service", image: i === 0 ? "acme/cart:v1" : "acme/cart:v2" })));
            assert.deepEqual(of("kube_pod_container_status_waiting_reason"), [[{ namespace: "shop", pod: "cart-pending", container: "cart-service", reason: "ImagePullBackOff" }, 1]]);
            assert.deepEqual(of("kube_namespace_labels"), [[{ namespace: "shop", [kubeStateLabel(PR_NAMESPACE_LABEL)]: "42" }, 1]]);
        });

        it("serves /metrics on 127.0.0.1 and closes on stop", async () => {
            const { source } = fakeSource(snapshot);
            await source.start();
            const url = source.url;
            try {
                assert.match(source.url, /^http:\/\/127\.0\.0\.1:\d+$/);
                const response = await fetch(`${source.url}/metrics`);
                assert.equal(response.status, 200);
                assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
                assert.ok(parseExposition(await response.text()).families.has(ROLLOUT_REVISIONS));
                assert.equal((await fetch(`${source.url}/other`)).status, 404);
            } finally {
                await source.stop();
            }
            await assert.rejects(fetch(`${url}/metrics`), "nothing listens after stop");
            assert.throws(() => source.url, /not started/);
        });
    });
});
