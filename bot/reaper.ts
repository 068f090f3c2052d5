import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { formatDuration } from "./duration";
import { configKey } from "./stackConfig";

/**
 * The reaper's decisions, apart from the engine so they can be tested against a fake clock: which
 * PR stacks to pause (idle past --idle, the PRStack operator's expiry) and which to destroy (idle
 * past --destroy-after).
 */

/** The update message of the reaper's own pauses; they are not activity, so they never reset the idle clock. */
export const REAPER_MESSAGE = "rollout-bot pr reap: paused after idling";

/** What the reaper knows about one PR stack. */
export interface PrStackActivity {
    readonly stack: string;
    /** The end of the last update that was not the reaper's own; undefined when there is none. */
    readonly lastActivity?: Date;
    /** false when the stack's last update paused it. */
    readonly active: boolean;
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
}

/** PR stacks are `pr-<n>` (optionally `org/project/pr-<n>`); the reaper never touches anything else. */
export function isPrStack(stackName: string): boolean {
    return /^pr-[1-9][0-9]*$/.test(stackName.split("/").pop() ?? "");
}

/** Decides for each PR stack, in the order given. Pure: `now` is the clock. */
export function decideReaping(stacks: readonly PrStackActivity[], policy: ReapPolicy, now: Date): ReapDecision[] {
    return stacks.filter((s) => isPrStack(s.stack)).map((s): ReapDecision => {
        if (s.lastActivity === undefined) {
            return { stack: s.stack, action: "keep", reason: "no update recorded, so nothing is running" };
        }
        const idleMs = Math.max(0, now.getTime() - s.lastActivity.getTime());
        const idle = formatDuration(idleMs);
        if (policy.destroyAfterMs !== undefined && idleMs >= policy.destroyAfterMs) {
            return { stack: s.stack, action: "destroy", idleMs, reason: `idle ${idle}, past --destroy-after ${formatDuration(policy.destroyAfterMs)}` };
        }
        if (idleMs >= policy.idleMs) {
            return s.active
                ? { stack: s.stack, action: "pause", idleMs, reason: `idle ${idle}, past --idle ${formatDuration(policy.idleMs)}` }
                : { stack: s.stack, action: "keep", idleMs, reason: `idle ${idle}, already paused` };
        }
        return { stack: s.stack, action: "keep", idleMs, reason: `idle ${idle}, under --idle ${formatDuration(policy.idleMs)}` };
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
    return when === undefined ? { stack, active } : { stack, active, lastActivity: new Date(when) };
}
