import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { prNumberOfStack } from "../lib/naming";
import { formatDuration } from "./duration";
import { configKey, objectValue } from "./stackConfig";

/**
 * The reaper's decisions, apart from the engine so they can be tested against a fake clock: which
 * PR stacks to pause (idle past the PR's `pr.ttlHours`, or --idle when it has none) and which to
 * destroy (idle past --destroy-after, later by as much as the PR's TTL exceeds --idle), never
 * touching a PR that carries the keep label.
 */

const HOUR_MS = 3_600_000;

/** The label that keeps a PR's environment from being paused or destroyed, unless --keep-label says otherwise. */
export const DEFAULT_KEEP_LABEL = "keep-environment";

/** The update message of the reaper's own pauses; they are not activity, so they never reset the idle clock. */
export const REAPER_MESSAGE = "rollout-bot pr reap: paused after idling";

/** What the reaper knows about one PR stack. */
export interface PrStackActivity {
    readonly stack: string;
    /** The end of the last update that was not the reaper's own; undefined when there is none. */
    readonly lastActivity?: Date;
    /** false when the stack's last update paused it. */
    readonly active: boolean;
    /** The PR's own idle limit (`pr.ttlHours`) in milliseconds; undefined = --idle. */
    readonly ttlMs?: number;
    /** The pull request's labels; undefined when they were not read. */
    readonly labels?: readonly string[];
}

export type ReapAction = "pause" | "destroy" | "keep";

export interface ReapDecision {
    readonly stack: string;
    readonly action: ReapAction;
    /** Milliseconds since the last activity; undefined when unknown. */
    readonly idleMs?: number;
    readonly reason: string;
}

export interface ReapPolicy {
    readonly idleMs: number;
    readonly destroyAfterMs?: number;
    /** PRs with this label are kept whatever their idle time; undefined or "" = no label keeps a PR. */
    readonly keepLabel?: string;
}

/** PR stacks are `pr-<n>` (optionally `org/project/pr-<n>`); the reaper never touches anything else. */
export function isPrStack(stackName: string): boolean {
    return prNumberOfStack(stackName) !== undefined;
}

/** Decides for each PR stack, in the order given. Pure: `now` is the clock. */
export function decideReaping(stacks: readonly PrStackActivity[], policy: ReapPolicy, now: Date): ReapDecision[] {
    return stacks.filter((s) => isPrStack(s.stack)).map((s): ReapDecision => {
        if (policy.keepLabel !== undefined && policy.keepLabel !== "" && s.labels?.includes(policy.keepLabel)) {
            return { stack: s.stack, action: "keep", reason: `the pull request is labelled ${policy.keepLabel}` };
        }
        if (s.lastActivity === undefined) {
            return { stack: s.stack, action: "keep", reason: "no update recorded, so nothing is running" };
        }
        const idleMs = Math.max(0, now.getTime() - s.lastActivity.getTime());
        const idle = formatDuration(idleMs);
        const pauseAfterMs = s.ttlMs ?? policy.idleMs;
        const pauseRule = s.ttlMs === undefined ? `--idle ${formatDuration(policy.idleMs)}` : `its pr.ttlHours ${formatDuration(s.ttlMs)}`;
        // A TTL longer than --idle postpones the destroy by as much; a shorter one pauses sooner but never destroys sooner.
        const destroyAfterMs = policy.destroyAfterMs === undefined ? undefined : policy.destroyAfterMs + Math.max(0, pauseAfterMs - policy.idleMs);
        if (destroyAfterMs !== undefined && idleMs >= destroyAfterMs) {
            const rule = destroyAfterMs === policy.destroyAfterMs ? `--destroy-after ${formatDuration(destroyAfterMs)}` : `--destroy-after plus its longer TTL, ${formatDuration(destroyAfterMs)}`;
            return { stack: s.stack, action: "destroy", idleMs, reason: `idle ${idle}, past ${rule}` };
        }
        if (idleMs >= pauseAfterMs) {
            return s.active
                ? { stack: s.stack, action: "pause", idleMs, reason: `idle ${idle}, past ${pauseRule}` }
                : { stack: s.stack, action: "keep", idleMs, reason: `idle ${idle}, already paused` };
        }
        return { stack: s.stack, action: "keep", idleMs, reason: `idle ${idle}, under ${pauseRule}` };
    });
}

/**
 * A stack's activity from its update history (newest first): the last update that was not the
 * reaper's own pause, and whether the newest update left it paused.
 */
export function activityFromHistory(stack: string, history: readonly UpdateSummary[]): PrStackActivity {
    const newest = history[0];
    const active = newest?.config?.[configKey("active")]?.value !== "false";
    const last = history.find((entry) => !(entry.message ?? "").startsWith(REAPER_MESSAGE));
    const when = last?.endTime ?? last?.startTime;
    const ttlHours = newest === undefined ? undefined : objectValue(newest.config, "pr")?.ttlHours;
    return {
        stack,
        active,
        ...(when === undefined ? {} : { lastActivity: new Date(when) }),
        ...(typeof ttlHours === "number" && ttlHours > 0 ? { ttlMs: Math.round(ttlHours * HOUR_MS) } : {}),
    };
}
