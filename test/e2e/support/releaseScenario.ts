import { Cluster } from "./kube";
import { MetricsSource, TrafficProfile } from "./metricsSource";
import { Prometheus } from "./prometheus";

/**
 * The release the analysis suite and the bench walk: prod's canary steps and analysis conditions
 * (docs/progressive-delivery.md) with the durations shortened, on one service whose traffic the
 * metrics source makes up per image, judged by a loopback Prometheus.
 */

export const REPOSITORY = "ghcr.io/pilab-hu/cart-service";
export const SERVICE = "cart-service";
export const SERVICES = [{ name: SERVICE, image: REPOSITORY, port: 8080, replicas: 5 }];
export const image = (tag: string) => `${REPOSITORY}:${tag}`;

/** What a healthy service does: 40 requests a second per pod, one in two thousand failing, p99 at 80 ms. */
export const HEALTHY: TrafficProfile = { requestsPerSecond: 40, errorRatio: 0.0005, p99Ms: 80 };
/** Prod's thresholds: a success rate of at least 0.99 and a p99 latency of at most 300 ms. */
export const SUCCESS_RATE = 0.99;
export const LATENCY_P99_MS = 300;

/** Seconds between two measurements of the analysis, and how many it takes. */
const INTERVAL_S = 5;
const COUNT = 3;
/** Seconds of each timed pause. */
const PAUSE_S = 10;

/** Prod's analysis with its measurements 5 s apart instead of 30 s, three of them, and no failure allowed. */
export function analysisConfig(prometheusAddress: string): Record<string, unknown> {
    return { prometheusAddress, successRate: SUCCESS_RATE, latencyP99Ms: LATENCY_P99_MS, interval: `${INTERVAL_S}s`, count: COUNT, failureLimit: 0 };
}

/** Prod's canary with 10 s pauses; the analysis step measures both templates, so a slow canary fails it too. */
export const CANARY_STEPS = [
    { setWeight: 20 }, { pause: { duration: `${PAUSE_S}s` } }, { analysis: { templates: ["success-rate", "latency-p99"] } },
    { setWeight: 50 }, { pause: { duration: `${PAUSE_S}s` } }, { setWeight: 100 },
];

/**
 * The waiting the canary's configuration itself asks for, in seconds: to Healthy, both pauses and
 * the analysis's measurements (the first at once, then one per interval); to an abort on a canary
 * failing from its first measurement, the first pause.
 */
export const CONFIGURED_SECONDS = { healthy: 2 * PAUSE_S + (COUNT - 1) * INTERVAL_S, aborted: PAUSE_S } as const;

/**
 * The config of a one-service environment stack at `v1` with the given strategy, judged by
 * `prometheusAddress`; `analysis` overrides fields of {@link analysisConfig}.
 */
export function environmentConfig(
    namespace: string, strategy: unknown, prometheusAddress: string, analysis: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        services: SERVICES, imageTag: "v1",
        environment: { name: namespace, strategy, analysis: { ...analysisConfig(prometheusAddress), ...analysis } },
    };
}

/** A metrics source over `namespaces` serving healthy traffic by default, and a Prometheus that has scraped it once. */
export interface Metrics {
    readonly source: MetricsSource;
    readonly prometheus: Prometheus;
    stop(): Promise<void>;
}

export async function startMetrics(cluster: Cluster, namespaces: readonly string[]): Promise<Metrics> {
    const source = new MetricsSource({ cluster, namespaces });
    source.setDefaultProfile(HEALTHY);
    await source.start();
    let prometheus: Prometheus | undefined;
    try {
        prometheus = await Prometheus.start({ appsTarget: source.target });
        // The first sample of a fresh Prometheus comes a few seconds after it is ready.
        await prometheus.waitForData(`up{job="apps"} == 1`);
    } catch (error) {
        await prometheus?.stop();
        await source.stop();
        throw error;
    }
    const started = prometheus;
    return {
        source,
        prometheus: started,
        async stop() {
            await started.stop();
            await source.stop();
        },
    };
}
