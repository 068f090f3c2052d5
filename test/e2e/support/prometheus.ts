import { ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { engineEnv } from "./engine";

/**
 * A real Prometheus for end-to-end scenarios: the toolchain's `prometheus` binary on a free
 * 127.0.0.1 port with its data in a temp dir, scraping the scenario's metrics source (job `apps`)
 * and the local Argo Rollouts controller (job `argo-rollouts`) every second, both with
 * `honor_labels` so their `namespace` and `job` labels stay. {@link Prometheus.address} is what the
 * AnalysisTemplates' `prometheusAddress` gets.
 */

/** The controller's metrics port; scripts/cluster.sh reads the same variable with the same default. */
export function controllerMetricsPort(env: NodeJS.ProcessEnv = process.env): number {
    const value = env.ROLLOUT_STACKS_CONTROLLER_METRICS_PORT;
    if (value === undefined || value === "") {
        return 18090;
    }
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`ROLLOUT_STACKS_CONTROLLER_METRICS_PORT must be a TCP port number, got ${JSON.stringify(value)}`);
    }
    return port;
}

export interface PrometheusOptions {
    /** `host:port` (or a URL) of the metrics source's `/metrics`, e.g. MetricsSource's `target`. */
    readonly appsTarget: string;
    /** Port of the rollouts controller's metrics on 127.0.0.1. @default controllerMetricsPort() */
    readonly controllerMetricsPort?: number;
    /** Rule groups (a PrometheusRule spec) to evaluate every second. @default none */
    readonly rules?: { readonly groups: readonly unknown[] };
    /** PATH to find `prometheus` on. @default engineEnv().PATH */
    readonly path?: string;
    /** How long to wait for `/-/ready`. @default 30 s */
    readonly readyTimeoutMs?: number;
}

/** One sample of an instant query's vector. */
export interface Sample {
    readonly metric: Readonly<Record<string, string>>;
    readonly timestamp: number;
    readonly value: number;
}

/** An instant query's result by type. */
export type QueryResult =
    | { readonly resultType: "vector"; readonly samples: readonly Sample[] }
    | { readonly resultType: "scalar"; readonly sample: Omit<Sample, "metric"> }
    | { readonly resultType: "matrix"; readonly series: readonly { readonly metric: Readonly<Record<string, string>>; readonly points: readonly Omit<Sample, "metric">[] }[] }
    | { readonly resultType: "string"; readonly value: string };

/** Prometheus refused a query (a parse or execution error); retrying does not help. */
export class PrometheusQueryError extends Error {
    constructor(readonly expr: string, readonly errorType: string, readonly detail: string) {
        super(`Prometheus rejected the query ${expr}: ${errorType}: ${detail}`);
        this.name = "PrometheusQueryError";
    }
}

/** Prometheus' float spelling: `+Inf`, `-Inf` and `NaN` included. */
export function parseSampleValue(text: string): number {
    switch (text) {
        case "+Inf": return Infinity;
        case "-Inf": return -Infinity;
        case "NaN": return NaN;
        default: {
            const value = Number(text);
            if (text === "" || Number.isNaN(value)) {
                throw new Error(`not a sample value: ${JSON.stringify(text)}`);
            }
            return value;
        }
    }
}

type Point = [number, string];
type ApiResult =
    | { resultType: "vector"; result: { metric: Record<string, string>; value: Point }[] }
    | { resultType: "scalar"; result: Point }
    | { resultType: "matrix"; result: { metric: Record<string, string>; values: Point[] }[] }
    | { resultType: "string"; result: Point };
type ApiResponse = { status: "success"; data: ApiResult } | { status: "error"; errorType: string; error: string };

function point([timestamp, value]: Point): Omit<Sample, "metric"> {
    return { timestamp, value: parseSampleValue(value) };
}

export function parseQueryResult(data: ApiResult): QueryResult {
    switch (data.resultType) {
        case "vector": return { resultType: "vector", samples: data.result.map((s) => ({ metric: s.metric, ...point(s.value) })) };
        case "scalar": return { resultType: "scalar", sample: point(data.result) };
        case "matrix": return { resultType: "matrix", series: data.result.map((s) => ({ metric: s.metric, points: s.values.map(point) })) };
        case "string": return { resultType: "string", value: data.result[1] };
    }
}

/** Whether a result holds data: a sample, a series, or a scalar other than NaN. */
function hasData(result: QueryResult): boolean {
    switch (result.resultType) {
        case "vector": return result.samples.length > 0;
        case "matrix": return result.series.length > 0;
        case "scalar": return !Number.isNaN(result.sample.value);
        case "string": return true;
    }
}

/** The Prometheus configuration, as JSON (a subset of the YAML Prometheus reads). */
export function prometheusConfig(appsTarget: string, controllerPort: number, ruleFiles: readonly string[]): Record<string, unknown> {
    const target = appsTarget.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    return {
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        ...(ruleFiles.length === 0 ? {} : { rule_files: ruleFiles }),
        scrape_configs: [
            { job_name: "apps", honor_labels: true, metrics_path: "/metrics", static_configs: [{ targets: [target] }] },
            { job_name: "argo-rollouts", honor_labels: true, metrics_path: "/metrics", static_configs: [{ targets: [`127.0.0.1:${controllerPort}`] }] },
        ],
    };
}

/** Finds an executable on a PATH, as the shell would. */
export function findOnPath(binary: string, searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter).filter((d) => d !== "")) {
        const candidate = path.join(dir, binary);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** A port nothing listens on right now, from the kernel. */
export async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

function tail(file: string, lines = 30): string {
    try {
        return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Prometheus {
    /** `http://127.0.0.1:<port>`. */
    readonly address: string;
    /** Where the process writes its log. */
    readonly logFile: string;
    private readonly exited: Promise<void>;
    private spawnError: Error | undefined;
    private readonly onExit: () => void;

    private constructor(private readonly child: ChildProcess, address: string, private readonly dir: string) {
        this.address = address;
        this.logFile = path.join(dir, "prometheus.log");
        this.exited = new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
                resolve();
            } else {
                child.once("exit", () => resolve());
                child.once("error", (error) => {
                    this.spawnError = error;
                    resolve();
                });
            }
        });
        // The test process may end without stop() (a failed before hook, Ctrl-C): take Prometheus along.
        this.onExit = () => {
            child.kill("SIGKILL");
            rmSync(dir, { recursive: true, force: true });
        };
        process.once("exit", this.onExit);
    }

    /** Writes the config, starts Prometheus and waits until it is ready. */
    static async start(options: PrometheusOptions): Promise<Prometheus> {
        const searchPath = options.path ?? engineEnv().PATH ?? "";
        const binary = findOnPath("prometheus", searchPath);
        if (binary === undefined) {
            throw new Error(`prometheus is not on PATH (${searchPath}); scripts/toolchain.sh builds it and env.sh puts it there`);
        }
        const dir = mkdtempSync(path.join(tmpdir(), "rollout-stacks-prometheus-"));
        const ruleFiles: string[] = [];
        if (options.rules !== undefined) {
            const rulesFile = path.join(dir, "rules.yml");
            writeFileSync(rulesFile, JSON.stringify(options.rules, null, 2));
            ruleFiles.push(rulesFile);
        }
        const configFile = path.join(dir, "prometheus.yml");
        writeFileSync(configFile, JSON.stringify(prometheusConfig(options.appsTarget, options.controllerMetricsPort ?? controllerMetricsPort(), ruleFiles), null, 2));
        const port = await freePort();
        const log = openSync(path.join(dir, "prometheus.log"), "a");
        let child: ChildProcess;
        try {
            child = spawn(binary, [
                `--config.file=${configFile}`,
                `--storage.tsdb.path=${path.join(dir, "data")}`,
                `--web.listen-address=127.0.0.1:${port}`,
            ], { cwd: dir, env: { PATH: searchPath }, stdio: ["ignore", log, log] });
        } finally {
            closeSync(log);
        }
        // Neither the child nor its (file) stdio keeps the test process alive; the exit hook ends it.
        child.unref();
        const prometheus = new Prometheus(child, `http://127.0.0.1:${port}`, dir);
        try {
            await prometheus.waitUntilReady(options.readyTimeoutMs ?? 30_000);
        } catch (error) {
            const logTail = tail(prometheus.logFile);
            await prometheus.stop();
            throw new Error(`${(error as Error).message}; the end of its log:\n${logTail}`);
        }
        return prometheus;
    }

    private async waitUntilReady(timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let exited = false;
        void this.exited.then(() => {
            exited = true;
        });
        while (!exited) {
            try {
                if ((await fetch(`${this.address}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) {
                    return;
                }
            } catch {
                // not listening yet
            }
            if (Date.now() > deadline) {
                throw new Error(`Prometheus at ${this.address} was not ready after ${timeoutMs} ms`);
            }
            await sleep(100);
        }
        throw new Error(this.spawnError === undefined
            ? `Prometheus exited at start (code ${this.child.exitCode}, signal ${this.child.signalCode})`
            : `Prometheus could not be started: ${this.spawnError.message}`);
    }

    /** An instant query at `time` (default now); throws {@link PrometheusQueryError} with Prometheus's message on a bad query. */
    async query(expr: string, time?: Date): Promise<QueryResult> {
        const body = new URLSearchParams({ query: expr, ...(time === undefined ? {} : { time: (time.getTime() / 1000).toString() }) });
        const response = await fetch(`${this.address}/api/v1/query`, { method: "POST", body, signal: AbortSignal.timeout(30_000) });
        const text = await response.text();
        let parsed: ApiResponse;
        try {
            parsed = JSON.parse(text) as ApiResponse;
        } catch {
            throw new Error(`Prometheus answered ${response.status} to the query ${expr}: ${text.slice(0, 500)}`);
        }
        if (parsed.status === "error") {
            throw new PrometheusQueryError(expr, parsed.errorType, parsed.error);
        }
        return parseQueryResult(parsed.data);
    }

    /**
     * Polls `expr` every half second until it returns data (a sample, a series, or a scalar other
     * than NaN) and returns that result. A rejected query fails at once.
     */
    async waitForData(expr: string, timeoutMs = 60_000): Promise<QueryResult> {
        const deadline = Date.now() + timeoutMs;
        let last: unknown;
        for (;;) {
            try {
                const result = await this.query(expr);
                if (hasData(result)) {
                    return result;
                }
                last = result;
            } catch (error) {
                if (error instanceof PrometheusQueryError) {
                    throw error;
                }
                last = error;
            }
            if (Date.now() > deadline) {
                const lastText = last instanceof Error ? last.message : JSON.stringify(last);
                throw new Error(`no data for ${expr} after ${timeoutMs} ms; last answer: ${lastText}`);
            }
            await sleep(500);
        }
    }

    /** SIGTERM, waits for the exit (SIGKILL after 10 s), removes the temp dir. Safe to call twice. */
    async stop(): Promise<void> {
        process.removeListener("exit", this.onExit);
        if (this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill("SIGTERM");
            const killer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
            await this.exited;
            clearTimeout(killer);
        }
        rmSync(this.dir, { recursive: true, force: true });
    }
}
