import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type * as k8s from "@kubernetes/client-node";
import { AppMetrics, DEFAULT_APP_METRICS, POD_TEMPLATE_HASH_METRIC_LABEL, SERVICE_METRIC_LABEL } from "../../../lib/appMetrics";
import { ARGO_API_VERSION, RolloutStatusSpec } from "../../../lib/argoTypes";
import {
    KUBE_CONTAINER_WAITING, KUBE_NAMESPACE_LABELS, KUBE_POD_CONTAINER_INFO, kubeStateLabel, PR_NAMESPACE_LABEL, ROLLOUT_REVISIONS,
    ROLLOUT_STEP, ROLLOUT_TRAFFIC_WEIGHT,
} from "../../../lib/rolloutMetrics";
import { POD_TEMPLATE_HASH_LABEL } from "../../../lib/rolloutStrategy";
import { SERVICE_NAME_LABEL } from "../../../lib/service";
import { Cluster, isNotFound } from "./kube";

/**
 * A stand-in for what Prometheus would scrape in a real cluster, for end-to-end scenarios on kwok,
 * where pods are fake and nothing serves traffic. One `/metrics` endpoint answers, in the text
 * exposition format 0.0.4, what the environments' ServiceMonitors would collect from every Running
 * pod of the watched namespaces, with the labels their relabelling adds (scrape it with
 * `honor_labels: true` so they are kept), plus the kube-state-metrics series the dashboards and
 * alerts join against, computed from the same cluster reads.
 *
 * Each pod serves the traffic profile of its app container's image ({@link MetricsSource.setProfile}).
 * Counters integrate the profile over time from the moment the source first saw the pod, so `rate()`
 * gives the profile back. A series appears once its count is above zero and stays while the pod
 * runs, as a client library's labelled counter does: no 5xx series before the first error, and a
 * pod without traffic exports no request or latency series at all, so the analysis queries return
 * NaN ("no traffic") for it rather than a rate of 0. Counts are fractional (rate × seconds).
 *
 * Prometheus divides a `rate()` by its whole window, so a rate over `[1m]` reaches the profile's
 * value only a minute after the pod appeared; ratios of rates (error ratio, canary share) and
 * `histogram_quantile` are right from the second scrape on.
 */

/** The HTTP traffic a pod serves. */
export interface TrafficProfile {
    /** Requests per second; 0 for none. */
    readonly requestsPerSecond: number;
    /** Share of requests answered with a 5xx status, 0..1. */
    readonly errorRatio: number;
    /** The 99th percentile latency in milliseconds, above 5 and at most 10000 (the histogram's buckets). */
    readonly p99Ms: number;
}

/** What pods serve until a scenario says otherwise. */
export const NO_TRAFFIC: TrafficProfile = { requestsPerSecond: 0, errorRatio: 0, p99Ms: 100 };

/** Upper bounds of the latency histogram in seconds: the Prometheus client libraries' defaults. */
export const LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The status codes a pod's requests are counted under. */
const OK_STATUS = "200";
const ERROR_STATUS = "500";

export function validateProfile(profile: TrafficProfile, buckets: readonly number[] = LATENCY_BUCKETS): void {
    const { requestsPerSecond: rps, errorRatio, p99Ms } = profile;
    if (!(Number.isFinite(rps) && rps >= 0)) {
        throw new RangeError(`requestsPerSecond must be a finite number of at least 0, got ${rps}`);
    }
    if (!(errorRatio >= 0 && errorRatio <= 1)) {
        throw new RangeError(`errorRatio must be a fraction from 0 to 1, got ${errorRatio}`);
    }
    const low = (buckets[0] ?? 0) * 1000;
    const high = (buckets[buckets.length - 1] ?? 0) * 1000;
    if (rps > 0 && !(p99Ms > low && p99Ms <= high)) {
        throw new RangeError(`p99Ms must be above ${low} and at most ${high} (the latency histogram's bucket range), got ${p99Ms}`);
    }
}

/** A share of requests that all take the same time. */
export interface LatencyMass {
    readonly seconds: number;
    readonly share: number;
}

/**
 * Request latencies as point masses whose histogram makes `histogram_quantile(0.99, ...)` land on
 * `p99Ms` exactly (up to floating point): with `p` in the bucket `(lo, hi]` and `t = (p - lo) / (hi - lo)`,
 * `0.99 - 0.01t` of requests take at most `lo`, 1% take `p`, and `0.01t` take longer than `hi`, so
 * linear interpolation inside `(lo, hi]` at rank 0.99 gives `lo + t (hi - lo) = p` (Prometheus 3.16
 * returned 120.0000000000009 for 120 and 900.0000000000064 for 900).
 */
export function latencyDistribution(p99Ms: number, buckets: readonly number[] = LATENCY_BUCKETS): LatencyMass[] {
    validateProfile({ requestsPerSecond: 1, errorRatio: 0, p99Ms }, buckets);
    const p = p99Ms / 1000;
    const index = buckets.findIndex((bound) => bound >= p);
    const [lo, hi] = [buckets[index - 1]!, buckets[index]!];
    const t = (p - lo) / (hi - lo);
    return [
        { seconds: Math.min(lo, p / 2), share: 0.99 - 0.01 * t },
        { seconds: p, share: 0.01 },
        { seconds: buckets[index + 1] ?? 2 * hi, share: 0.01 * t },
    ];
}

/** A pod's counters: requests by outcome and the latency histogram (cumulative, one per finite bound). */
export interface PodCounters {
    readonly ok: number;
    readonly errors: number;
    readonly buckets: readonly number[];
    readonly sum: number;
    readonly count: number;
}

export function emptyCounters(buckets: readonly number[] = LATENCY_BUCKETS): PodCounters {
    return { ok: 0, errors: 0, buckets: buckets.map(() => 0), sum: 0, count: 0 };
}

/** The counters after `elapsedSeconds` more of `profile`: each grows by its rate times the time. */
export function advanceCounters(counters: PodCounters, profile: TrafficProfile, elapsedSeconds: number, buckets: readonly number[] = LATENCY_BUCKETS): PodCounters {
    validateProfile(profile, buckets);
    const requests = profile.requestsPerSecond * Math.max(0, elapsedSeconds);
    if (requests === 0) {
        return counters;
    }
    const masses = latencyDistribution(profile.p99Ms, buckets);
    const meanSeconds = masses.reduce((total, mass) => total + mass.seconds * mass.share, 0);
    // Clamped so no finite bucket ever exceeds +Inf (= count) through rounding.
    const shareAtOrBelow = (bound: number) => Math.min(1, masses.filter((mass) => mass.seconds <= bound).reduce((total, mass) => total + mass.share, 0));
    return {
        ok: counters.ok + requests * (1 - profile.errorRatio),
        errors: counters.errors + requests * profile.errorRatio,
        buckets: counters.buckets.map((value, i) => value + requests * shareAtOrBelow(buckets[i]!)),
        sum: counters.sum + requests * meanSeconds,
        count: counters.count + requests,
    };
}

export type MetricType = "counter" | "gauge" | "histogram";

export interface Sample {
    /** The family's name, or for a histogram the family's name with `_bucket`, `_sum` or `_count`. */
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

export interface MetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: MetricType;
    readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `+Inf`, `-Inf`, `NaN` or the number, as the format spells them. */
export function formatValue(value: number): string {
    if (Number.isNaN(value)) {
        return "NaN";
    }
    return value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value);
}

function escapeLabelValue(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function sampleNames(family: MetricFamily): string[] {
    return family.type === "histogram" ? ["_bucket", "_sum", "_count"].map((suffix) => family.name + suffix) : [family.name];
}

/**
 * The text exposition format 0.0.4: per family a `# HELP` and a `# TYPE` line and its samples,
 * families without samples left out. Throws on a name Prometheus would reject, a sample outside its
 * family, a histogram bucket without `le`, or a family listed twice.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const family of families) {
        if (!METRIC_NAME.test(family.name)) {
            throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
        }
        if (seen.has(family.name)) {
            throw new Error(`metric family ${family.name} is listed twice; its samples must be together`);
        }
        seen.add(family.name);
        if (family.samples.length === 0) {
            continue;
        }
        lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
        const names = sampleNames(family);
        for (const sample of family.samples) {
            if (!names.includes(sample.name)) {
                throw new Error(`sample ${sample.name} does not belong to the ${family.type} ${family.name}`);
            }
            if (sample.name === `${family.name}_bucket` && !("le" in sample.labels)) {
                throw new Error(`bucket of ${family.name} without an le label`);
            }
            const labels = Object.entries(sample.labels).map(([name, value]) => {
                if (!LABEL_NAME.test(name) || name.startsWith("__")) {
                    throw new Error(`invalid label name ${JSON.stringify(name)} on ${sample.name}`);
                }
                return `${name}="${escapeLabelValue(value)}"`;
            });
            lines.push(`${sample.name}${labels.length === 0 ? "" : `{${labels.join(",")}}`} ${formatValue(sample.value)}`);
        }
    }
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** The `_bucket` (cumulative, ending at `+Inf` = count), `_sum` and `_count` samples of one histogram. */
export function histogramSamples(name: string, labels: Readonly<Record<string, string>>, counters: PodCounters, buckets: readonly number[] = LATENCY_BUCKETS): Sample[] {
    return [
        ...buckets.map((bound, i) => ({ name: `${name}_bucket`, labels: { ...labels, le: formatValue(bound) }, value: counters.buckets[i]! })),
        { name: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: counters.count },
        { name: `${name}_sum`, labels, value: counters.sum },
        { name: `${name}_count`, labels, value: counters.count },
    ];
}

/** What the exposition needs of a pod. */
export interface PodState {
    readonly namespace: string;
    readonly name: string;
    /** Tells a pod from an earlier one of the same name. */
    readonly uid: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Running and not being deleted: what a ServiceMonitor scrapes and a Service sends traffic to. */
    readonly running: boolean;
    readonly containers: readonly { readonly name: string; readonly image: string; readonly waitingReason?: string }[];
}

export interface RolloutState {
    readonly namespace: string;
    readonly name: string;
    readonly status: RolloutStatusSpec;
}

export interface NamespaceState {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
}

/** One read of the watched namespaces. */
export interface ClusterSnapshot {
    readonly pods: readonly PodState[];
    readonly rollouts: readonly RolloutState[];
    /** The watched namespaces that exist. */
    readonly namespaces: readonly NamespaceState[];
}

/** Reads the given namespaces; injected instead of a cluster by unit tests and smoke checks. */
export type ClusterLister = (namespaces: readonly string[]) => Promise<ClusterSnapshot>;

export function podState(pod: k8s.V1Pod): PodState {
    const statuses = pod.status?.containerStatuses ?? [];
    return {
        namespace: pod.metadata?.namespace ?? "",
        name: pod.metadata?.name ?? "",
        uid: pod.metadata?.uid ?? "",
        labels: pod.metadata?.labels ?? {},
        running: pod.status?.phase === "Running" && pod.metadata?.deletionTimestamp === undefined,
        containers: pod.spec?.containers.map((container) => {
            const waitingReason = statuses.find((status) => status.name === container.name)?.state?.waiting?.reason;
            return { name: container.name, image: container.image ?? "", ...(waitingReason === undefined ? {} : { waitingReason }) };
        }) ?? [],
    };
}

/** Lists pods, Rollouts and the namespaces themselves through the API server. */
export function clusterLister(cluster: Cluster): ClusterLister {
    const [group, version] = ARGO_API_VERSION.split("/") as [string, string];
    const orNotFound = <T>(fallback: T) => (error: unknown): T => {
        if (isNotFound(error)) {
            return fallback;
        }
        throw error;
    };
    return async (namespaces) => {
        const reads = await Promise.all(namespaces.map(async (namespace) => {
            const [pods, rollouts, ns] = await Promise.all([
                cluster.core.listNamespacedPod({ namespace }),
                // No Rollout CRD (yet) reads as no Rollouts.
                cluster.custom.listNamespacedCustomObject({ group, version, namespace, plural: "rollouts" })
                    .then((list: { items?: { metadata?: k8s.V1ObjectMeta; status?: RolloutStatusSpec }[] }) => list.items ?? [], orNotFound([])),
                cluster.core.readNamespace({ name: namespace }).then((read) => read, orNotFound(undefined)),
            ]);
            return {
                pods: pods.items.map(podState),
                rollouts: rollouts.map((rollout) => ({ namespace, name: rollout.metadata?.name ?? "", status: rollout.status ?? {} })),
                namespaces: ns === undefined ? [] : [{ name: namespace, labels: ns.metadata?.labels ?? {} }],
            };
        }));
        return {
            pods: reads.flatMap((read) => read.pods),
            rollouts: reads.flatMap((read) => read.rollouts),
            namespaces: reads.flatMap((read) => read.namespaces),
        };
    };
}

/** A Running pod of a service with the counters it has accumulated. */
export interface ServedPod {
    readonly pod: PodState;
    readonly counters: PodCounters;
}

/** The service a pod belongs to and its app container (named after the service), if it is a service's pod. */
export function appContainer(pod: PodState): { readonly service: string; readonly image: string } | undefined {
    const service = pod.labels[SERVICE_NAME_LABEL];
    const container = pod.containers.find((c) => c.name === service);
    return service === undefined || container === undefined ? undefined : { service, image: container.image };
}

/** The labels the ServiceMonitor's relabelling gives a pod's series. */
export function scrapeLabels(pod: PodState, service: string): Record<string, string> {
    const hash = pod.labels[POD_TEMPLATE_HASH_LABEL];
    return {
        namespace: pod.namespace,
        [SERVICE_METRIC_LABEL]: service,
        pod: pod.name,
        ...(hash === undefined ? {} : { [POD_TEMPLATE_HASH_METRIC_LABEL]: hash }),
    };
}

/** The request counter and latency histogram families of the served pods; zero counts are left out. */
export function appFamilies(app: AppMetrics, served: readonly ServedPod[], buckets: readonly number[] = LATENCY_BUCKETS): MetricFamily[] {
    const requests: Sample[] = [];
    const latency: Sample[] = [];
    for (const { pod, counters } of served) {
        const container = appContainer(pod);
        if (container === undefined) {
            continue;
        }
        const labels = scrapeLabels(pod, container.service);
        for (const [status, value] of [[OK_STATUS, counters.ok], [ERROR_STATUS, counters.errors]] as const) {
            if (value > 0) {
                requests.push({ name: app.requests, labels: { ...labels, [app.statusLabel]: status }, value });
            }
        }
        if (counters.count > 0) {
            latency.push(...histogramSamples(app.latency, labels, counters, buckets));
        }
    }
    return [
        { name: app.requests, help: "HTTP requests handled, by status code.", type: "counter", samples: requests },
        { name: app.latency, help: "HTTP request latency in seconds.", type: "histogram", samples: latency },
    ];
}

/**
 * The kube-state-metrics series the project's queries join against: the Rollout state of its
 * custom-resource-state configuration (lib/rolloutMetrics.ts), container images and waiting reasons,
 * and one `kube_namespace_labels` per watched namespace carrying the allow-listed PR label when set.
 */
export function kubeStateFamilies(snapshot: ClusterSnapshot): MetricFamily[] {
    const byRollout = (rollout: RolloutState) => ({ namespace: rollout.namespace, rollout: rollout.name });
    const gauge = (name: string, help: string, samples: Omit<Sample, "name">[]): MetricFamily =>
        ({ name, help, type: "gauge", samples: samples.map((sample) => ({ name, ...sample })) });
    const prLabel = kubeStateLabel(PR_NAMESPACE_LABEL);
    const containers = snapshot.pods.flatMap((pod) => pod.containers.map((container) => ({ pod, container })));
    return [
        gauge(ROLLOUT_REVISIONS, "Pod template hashes of the stable and the current ReplicaSet.", snapshot.rollouts.map((rollout) => ({
            labels: {
                ...byRollout(rollout),
                ...(rollout.status.stableRS === undefined ? {} : { stable_hash: rollout.status.stableRS }),
                ...(rollout.status.currentPodHash === undefined ? {} : { current_hash: rollout.status.currentPodHash }),
            },
            value: 1,
        }))),
        gauge(ROLLOUT_STEP, "Index of the canary step the Rollout is at.", snapshot.rollouts.flatMap((rollout) =>
            rollout.status.currentStepIndex === undefined ? [] : [{ labels: byRollout(rollout), value: rollout.status.currentStepIndex }])),
        gauge(ROLLOUT_TRAFFIC_WEIGHT, "Traffic weight of the canary under traffic routing.", snapshot.rollouts.flatMap((rollout) => {
            const weight = rollout.status.canary?.weights?.canary.weight;
            return weight === undefined ? [] : [{ labels: byRollout(rollout), value: weight }];
        })),
        gauge(KUBE_POD_CONTAINER_INFO, "Information about a container in a pod.", containers.map(({ pod, container }) => ({
            labels: { namespace: pod.namespace, pod: pod.name, container: container.name, image: container.image },
            value: 1,
        }))),
        gauge(KUBE_CONTAINER_WAITING, "Why a container is waiting.", containers.flatMap(({ pod, container }) => container.waitingReason === undefined ? [] : [{
            labels: { namespace: pod.namespace, pod: pod.name, container: container.name, reason: container.waitingReason },
            value: 1,
        }])),
        gauge(KUBE_NAMESPACE_LABELS, "Kubernetes labels of a namespace, as Prometheus labels.", snapshot.namespaces.map((namespace) => {
            const pr = namespace.labels[PR_NAMESPACE_LABEL];
            return { labels: { namespace: namespace.name, ...(pr === undefined ? {} : { [prLabel]: pr }) }, value: 1 };
        })),
    ];
}

type ClusterSource = { readonly cluster: Cluster } | { readonly kubeconfig: string } | { readonly lister: ClusterLister };

export type MetricsSourceOptions = ClusterSource & {
    /** Namespaces whose pods, Rollouts and labels are exported. */
    readonly namespaces: readonly string[];
    /** Names of the request counter and latency histogram. @default DEFAULT_APP_METRICS */
    readonly appMetrics?: AppMetrics;
    /** Milliseconds since the epoch. @default Date.now */
    readonly clock?: () => number;
};

/** The cluster is read at most this often; Prometheus scrapes the source every second. */
const REFRESH_MS = 1000;

interface Tracked {
    pod: PodState;
    counters: PodCounters;
    /** Time up to which `counters` are integrated. */
    atMs: number;
}

/** The HTTP server Prometheus scrapes (see the module comment). */
export class MetricsSource {
    private readonly lister: ClusterLister;
    private readonly namespaces: readonly string[];
    private readonly appMetrics: AppMetrics;
    private readonly clock: () => number;
    private readonly profiles = new Map<string, TrafficProfile>();
    private defaultProfile: TrafficProfile = NO_TRAFFIC;
    private readonly tracked = new Map<string, Tracked>();
    private snapshot: ClusterSnapshot | undefined;
    private refreshedAtMs = -Infinity;
    private refreshing: Promise<void> | undefined;
    private lastRefreshError: string | undefined;
    private server: http.Server | undefined;

    constructor(options: MetricsSourceOptions) {
        this.lister = "lister" in options ? options.lister
            : clusterLister("cluster" in options ? options.cluster : new Cluster(options.kubeconfig));
        this.namespaces = [...options.namespaces];
        this.appMetrics = options.appMetrics ?? DEFAULT_APP_METRICS;
        this.clock = options.clock ?? Date.now;
    }

    /** Traffic of pods whose app container runs exactly `image` (the reference as in the pod spec), from now on. */
    setProfile(image: string, profile: TrafficProfile): void {
        validateProfile(profile);
        this.advanceAll(this.clock());
        this.profiles.set(image, profile);
    }

    /** Traffic of pods whose image has no profile of its own, from now on. @default NO_TRAFFIC */
    setDefaultProfile(profile: TrafficProfile): void {
        validateProfile(profile);
        this.advanceAll(this.clock());
        this.defaultProfile = profile;
    }

    /** Listens on 127.0.0.1 on a free port. */
    async start(): Promise<void> {
        if (this.server !== undefined) {
            throw new Error("the metrics source is already started");
        }
        const server = http.createServer((request, response) => void this.handle(request, response));
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        this.server = server;
    }

    /** Closes the server and every open connection, so nothing of it keeps the process alive. */
    async stop(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        if (server === undefined) {
            return;
        }
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await this.refreshing?.catch(() => undefined);
    }

    get port(): number {
        if (this.server === undefined) {
            throw new Error("the metrics source is not started");
        }
        return (this.server.address() as AddressInfo).port;
    }

    /** `http://127.0.0.1:<port>`; the metrics are under `/metrics`. */
    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** `127.0.0.1:<port>`: the source as a Prometheus static target. */
    get target(): string {
        return `127.0.0.1:${this.port}`;
    }

    /** The exposition as a scrape at this moment would get it. */
    async render(): Promise<string> {
        if (this.clock() - this.refreshedAtMs >= REFRESH_MS) {
            this.refreshing ??= this.refresh().finally(() => {
                this.refreshing = undefined;
            });
            await this.refreshing;
        }
        if (this.snapshot === undefined) {
            throw new Error(`the cluster could not be read: ${this.lastRefreshError ?? "no read yet"}`);
        }
        this.advanceAll(this.clock());
        const served = [...this.tracked.values()].map(({ pod, counters }) => ({ pod, counters }));
        return renderExposition([...appFamilies(this.appMetrics, served), ...kubeStateFamilies(this.snapshot)]);
    }

    private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
        if (new URL(request.url ?? "/", "http://localhost").pathname !== "/metrics") {
            response.writeHead(404).end("only /metrics is served\n");
            return;
        }
        if (request.method !== "GET" && request.method !== "HEAD") {
            response.writeHead(405, { allow: "GET, HEAD" }).end();
            return;
        }
        try {
            const body = await this.render();
            response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(request.method === "HEAD" ? undefined : body);
        } catch (error) {
            response.writeHead(503, { "content-type": "text/plain; charset=utf-8" }).end(`${String(error)}\n`);
        }
    }

    /**
     * Reads the cluster and starts or stops tracking pods. A failed read keeps the last snapshot: a
     * failed scrape would mark every series stale in Prometheus and cut the scenario's rates short.
     */
    private async refresh(): Promise<void> {
        let snapshot: ClusterSnapshot;
        try {
            snapshot = await this.lister(this.namespaces);
        } catch (error) {
            const message = String(error);
            if (message !== this.lastRefreshError) {
                console.warn(`metrics source: reading the cluster failed, serving the last read: ${message}`);
            }
            this.lastRefreshError = message;
            this.refreshedAtMs = this.clock();
            return;
        }
        const now = this.clock();
        this.lastRefreshError = undefined;
        this.advanceAll(now);
        const running = new Map(snapshot.pods.filter((pod) => pod.running && appContainer(pod) !== undefined)
            .map((pod) => [`${pod.namespace}/${pod.name}/${pod.uid}`, pod]));
        for (const key of this.tracked.keys()) {
            if (!running.has(key)) {
                this.tracked.delete(key);
            }
        }
        for (const [key, pod] of running) {
            const tracked = this.tracked.get(key);
            if (tracked === undefined) {
                this.tracked.set(key, { pod, counters: emptyCounters(), atMs: now });
            } else {
                tracked.pod = pod;
            }
        }
        this.snapshot = snapshot;
        this.refreshedAtMs = now;
    }

    /** Integrates every tracked pod's counters up to `nowMs` under the profiles in force until then. */
    private advanceAll(nowMs: number): void {
        for (const tracked of this.tracked.values()) {
            const image = appContainer(tracked.pod)?.image;
            const profile = (image === undefined ? undefined : this.profiles.get(image)) ?? this.defaultProfile;
            tracked.counters = advanceCounters(tracked.counters, profile, (nowMs - tracked.atMs) / 1000);
            tracked.atMs = Math.max(tracked.atMs, nowMs);
        }
    }
}
