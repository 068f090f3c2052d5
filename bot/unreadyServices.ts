import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_PR_READY_TIMEOUT_SECONDS } from "../lib/service";
import type { BotContext } from "./context";
import { BotError, EXIT, reportFailure } from "./errors";
import { configKey } from "./stackConfig";
import { serviceStates, ServiceState } from "./workloads";

/**
 * A PR stack's update that failed because services' new pods never became ready (a bad image, a
 * crashing container): which services, what image, and why, as the kubelet said it. Read from the
 * cluster after the engine gave up, so it does not depend on how the provider words its timeout.
 */

/** What of a resource in exported state this reads. */
interface StateResource {
    readonly type?: string;
    readonly outputs?: { readonly metadata?: { readonly name?: string } };
}

/** One service whose new pods were not ready when the update gave up. */
export interface UnreadyService {
    readonly service: string;
    readonly image?: string;
    /** The pods' reason (`ImagePullBackOff`, `CrashLoopBackOff`, ...), or `NotReady` when they gave none. */
    readonly reason: string;
    readonly message?: string;
    /** Ready pods of the new revision and the replicas wanted, e.g. 0/1. */
    readonly ready: string;
}

/** The services of a PR stack's update that failed waiting for its pods; exit 6 with each one named. */
export class ServicesNotReadyError extends BotError {
    constructor(stack: string, readonly services: readonly UnreadyService[], total: number, readyTimeout: string) {
        const lines = services.map((s) => `  - ${s.service}${s.image === undefined ? "" : ` (${s.image})`}: ${s.reason}` +
            `${s.message === undefined ? "" : `: ${s.message}`} [${s.ready} ready]`);
        super(`${stack}: ${services.length} of ${total} services did not become ready within pr.readyTimeout (${readyTimeout}); ` +
            "the pods of the previous image keep serving:\n" + lines.join("\n") +
            "\nPush an image that starts and run pr up again (no other step is needed); pr.readyTimeout sets how long an update waits.",
        EXIT.rollout, { unreadyServices: services });
        this.name = "ServicesNotReadyError";
    }
}

/** The services whose Deployment is not ready, from their live state; ready and paused ones are left out. */
export function unready(states: readonly ServiceState[]): UnreadyService[] {
    return states.filter((state) => state.state !== "ready" && state.state !== "paused").map((state) => ({
        service: state.service,
        ...(state.image === undefined ? {} : { image: state.image }),
        reason: state.reason ?? (state.state === "missing" ? "Missing" : "NotReady"),
        ...(state.message === undefined ? {} : { message: state.message }),
        ready: state.ready,
    }));
}

/** `pr.readyTimeout` as the stack's config has it, or the program's default. */
export function readyTimeoutOf(config: ConfigMap): string {
    try {
        const pr = JSON.parse(config[configKey("pr")]?.value ?? "{}") as { readyTimeout?: unknown };
        return typeof pr.readyTimeout === "string" ? pr.readyTimeout : `${DEFAULT_PR_READY_TIMEOUT_SECONDS}s`;
    } catch {
        return `${DEFAULT_PR_READY_TIMEOUT_SECONDS}s`;
    }
}

/**
 * `error`, an engine failure of a PR stack's update, as a {@link ServicesNotReadyError} when some
 * of the stack's Deployments are not ready in the cluster; otherwise `error` itself. The namespace
 * and Deployments come from the stack's state, which holds them even after a failed first update.
 */
export async function explainUnready(error: unknown, stack: Stack, ctx: BotContext): Promise<unknown> {
    if (reportFailure(error).exitCode !== EXIT.failed) {
        return error;
    }
    try {
        const resources = ((await stack.exportStack()).deployment?.resources ?? []) as readonly StateResource[];
        const namespace = resources.find((r) => r.type === "kubernetes:core/v1:Namespace")?.outputs?.metadata?.name;
        const deployments = resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment")
            .map((r) => r.outputs?.metadata?.name).filter((name): name is string => typeof name === "string").sort();
        if (namespace === undefined || deployments.length === 0) {
            return error;
        }
        const config = await stack.getAllConfig();
        const failing = unready(await serviceStates(await ctx.workloadApi(config), namespace, deployments));
        return failing.length === 0 ? error : new ServicesNotReadyError(stack.name, failing, deployments.length, readyTimeoutOf(config));
    } catch (reading) {
        ctx.out.error(`warning: could not read the services' state after the failed update: ${String((reading as Error).message ?? reading).split("\n")[0]}`);
        return error;
    }
}
