import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AnalysisMetricSpec, AnalysisTemplateSpec, ARGO_API_VERSION } from "../lib/argoTypes";
import { goDurationSeconds } from "../lib/duration";
import { AppMetrics, POD_TEMPLATE_HASH_METRIC_LABEL, SERVICE_METRIC_LABEL } from "../lib/appMetrics";
import { AnalysisTemplateName, POD_TEMPLATE_HASH_ARG, SERVICE_NAME_ARG } from "../lib/rolloutStrategy";

export interface AnalysisTemplatesArgs {
    /** Namespace of the templates: the Rollouts' that refer to them. */
    readonly namespace: pulumi.Input<string>;
    /** Prometheus base URL the controller queries, e.g. `http://prometheus-operated.monitoring.svc:9090`. */
    readonly prometheusAddress: pulumi.Input<string>;
    /** Lowest share of non-5xx responses that passes, a fraction such as 0.99. */
    readonly successRate: number;
    /** Highest p99 latency in milliseconds that passes. */
    readonly latencyP99Ms: number;
    /** Time between measurements, a Go duration such as `1m`; also the query's rate window (at least 1m). */
    readonly interval: string;
    /** Measurements per analysis. */
    readonly count: number;
    /** Failed measurements tolerated; one more fails the analysis and aborts the rollout. */
    readonly failureLimit: number;
    /** Wait before the first measurement, a Go duration. @default the first measurement is taken at once */
    readonly initialDelay?: string;
    /** The services' request counter and latency histogram, as the dashboards and alerts read them too. */
    readonly appMetrics: AppMetrics;
}

/** The metric labels of the pods one analysis measures: one service's newest ReplicaSet in the namespace. */
function podSelector(namespace: string): string {
    return `namespace="${namespace}", ${SERVICE_METRIC_LABEL}="{{args.${SERVICE_NAME_ARG}}}", ${POD_TEMPLATE_HASH_METRIC_LABEL}="{{args.${POD_TEMPLATE_HASH_ARG}}}"`;
}

/** Prometheus needs a few scrapes inside a rate window; 1m holds four at the usual 15s. */
function rateWindow(interval: string): string {
    return `${Math.max(60, Math.ceil(goDurationSeconds(interval) ?? 60))}s`;
}

/**
 * One measurement rule. A query over no requests yields NaN (`or vector(NaN)` turns "no series"
 * into NaN too); NaN meets neither condition, so the measurement is Inconclusive and the controller
 * pauses the rollout for a person to promote or abort, rather than passing or failing on no data.
 */
function metric(args: AnalysisTemplatesArgs, address: string, name: AnalysisTemplateName, query: string, success: string, failure: string): AnalysisMetricSpec {
    return {
        name,
        interval: args.interval,
        count: args.count,
        failureLimit: args.failureLimit,
        ...(args.initialDelay === undefined ? {} : { initialDelay: args.initialDelay }),
        successCondition: success,
        failureCondition: failure,
        provider: { prometheus: { address, query: `(${query}) or on() vector(NaN)` } },
    };
}

/** The specs of both templates in a namespace, querying the Prometheus at `address`. */
function analysisTemplateSpecs(args: AnalysisTemplatesArgs, namespace: string, address: string): Record<AnalysisTemplateName, AnalysisTemplateSpec> {
    const selector = podSelector(namespace);
    const window = rateWindow(args.interval);
    const { requests, statusLabel: status, latency } = args.appMetrics;
    const templateArgs = [{ name: SERVICE_NAME_ARG }, { name: POD_TEMPLATE_HASH_ARG }];
    return {
        "success-rate": {
            args: templateArgs,
            metrics: [metric(args, address, "success-rate",
                `sum(rate(${requests}{${selector}, ${status}!~"5.."}[${window}])) / sum(rate(${requests}{${selector}}[${window}]))`,
                `result[0] >= ${args.successRate}`,
                `result[0] < ${args.successRate}`)],
        },
        "latency-p99": {
            args: templateArgs,
            metrics: [metric(args, address, "latency-p99",
                `histogram_quantile(0.99, sum by (le) (rate(${latency}_bucket{${selector}}[${window}]))) * 1000`,
                `result[0] <= ${args.latencyP99Ms}`,
                `result[0] > ${args.latencyP99Ms}`)],
        },
    };
}

/**
 * The AnalysisTemplates of an environment, `success-rate` and `latency-p99`, querying Prometheus for
 * one service (argument `service-name`, matched against the `job` label the ServiceMonitor sets) and
 * one ReplicaSet of it (argument `pod-template-hash`), with the thresholds given here.
 */
export class AnalysisTemplates extends pulumi.ComponentResource {
    /** The AnalysisTemplates by name, the name canary steps and promotions refer to them by. */
    public readonly templates: Readonly<Record<AnalysisTemplateName, k8s.apiextensions.CustomResource>>;

    constructor(name: string, args: AnalysisTemplatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:analysis:AnalysisTemplates", name, {}, opts);
        if (!(args.successRate > 0 && args.successRate <= 1)) {
            throw new pulumi.ResourceError(`successRate must be a fraction above 0 and at most 1, got ${args.successRate}; write 99% as 0.99`, this);
        }
        if (!(args.latencyP99Ms > 0)) {
            throw new pulumi.ResourceError(`latencyP99Ms must be a positive number of milliseconds, got ${args.latencyP99Ms}`, this);
        }
        if (!Number.isInteger(args.count) || args.count < 1 || !Number.isInteger(args.failureLimit) || args.failureLimit < 0 || args.failureLimit >= args.count) {
            throw new pulumi.ResourceError(`count (${args.count}) must be a whole number above failureLimit (${args.failureLimit}), or the analysis can never fail`, this);
        }
        const specs = pulumi.all([args.namespace, args.prometheusAddress])
            .apply(([namespace, address]) => analysisTemplateSpecs(args, namespace, address));
        const template = (templateName: AnalysisTemplateName) => new k8s.apiextensions.CustomResource(`${name}-${templateName}`, {
            apiVersion: ARGO_API_VERSION,
            kind: "AnalysisTemplate",
            metadata: {
                name: templateName,
                namespace: args.namespace,
                labels: { "app.kubernetes.io/part-of": "rollout-stacks", "app.kubernetes.io/managed-by": "pulumi" },
            },
            spec: specs.apply((all) => all[templateName]),
        }, { parent: this });
        this.templates = { "success-rate": template("success-rate"), "latency-p99": template("latency-p99") };
        this.registerOutputs({ templates: this.templates });
    }
}
