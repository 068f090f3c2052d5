import { durationSeconds } from "../lib/duration";

/**
 * Durations on the command line (`90s`, `15m`, `2h`, `7d`, `1h30m`), the way Go's time.ParseDuration
 * and kubectl spell them, plus days because PR idleness is counted in days.
 */

/** Milliseconds for `text`, or undefined when it is not a positive duration (of at least 1ms). */
export function parseDuration(text: string): number | undefined {
    const seconds = durationSeconds(text, { days: true });
    const ms = seconds === undefined ? undefined : Math.round(seconds * 1_000);
    return ms !== undefined && ms > 0 ? ms : undefined;
}

/** `2d3h`, `15m`, `42s`: the two largest units, for messages about idleness and timeouts. */
export function formatDuration(ms: number): string {
    if (ms < 1_000) {
        return `${Math.max(0, Math.round(ms))}ms`;
    }
    const parts: string[] = [];
    let rest = Math.floor(ms / 1_000);
    for (const [unit, seconds] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
        const amount = Math.floor(rest / seconds);
        rest -= amount * seconds;
        if (amount > 0 || (parts.length > 0 && parts.length < 2)) {
            parts.push(`${amount}${unit}`);
        }
        if (parts.length === 2) {
            break;
        }
    }
    return parts.filter((part) => !part.startsWith("0")).join("") || "0s";
}
