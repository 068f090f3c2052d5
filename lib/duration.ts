/**
 * Durations, in one grammar: Go's time.ParseDuration without a sign (`30s`, `1m30s`, `1.5h`, `500ms`,
 * `0`), which Argo Rollouts reads for analysis intervals, delays and pauses, and which the bot's flags
 * take with days added (PR idleness is counted in days).
 */

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = {
    ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600,
};
const SECONDS_PER_DAY = 86_400;

/** One `<number><unit>` part; units are tried longest first, so `ms` is not read as `m`. */
function partPattern(units: readonly string[]): RegExp {
    const alternatives = [...units].sort((a, b) => b.length - a.length).join("|");
    return new RegExp(`(\\d+(?:\\.\\d*)?|\\.\\d+)(${alternatives})`, "y");
}

const GO_PART = partPattern(Object.keys(SECONDS_PER_UNIT));
const WITH_DAYS_PART = partPattern([...Object.keys(SECONDS_PER_UNIT), "d"]);

/**
 * Seconds of `text`; undefined for anything else, including a bare number other than `0` and
 * negative durations. `days` adds the unit `d` (Go has none).
 */
export function durationSeconds(text: string, options: { readonly days?: boolean } = {}): number | undefined {
    if (text === "0") {
        return 0;
    }
    const part = options.days === true ? WITH_DAYS_PART : GO_PART;
    part.lastIndex = 0;
    let seconds = 0;
    while (part.lastIndex < text.length) {
        const match = part.exec(text);
        if (match === null) {
            return undefined;
        }
        const [, amount, unit = ""] = match;
        seconds += Number(amount) * (unit === "d" ? SECONDS_PER_DAY : SECONDS_PER_UNIT[unit] ?? Number.NaN);
    }
    return text.length > 0 && Number.isFinite(seconds) ? seconds : undefined;
}

/** Seconds of a Go duration, as analysis intervals and delays take it (a bare number is not one). */
export function goDurationSeconds(text: string): number | undefined {
    return durationSeconds(text);
}

/** Seconds as a number, or Argo's duration text (`30s`, `2m`, `1h`, `90`). */
export type PauseDuration = number | string;

/** The controller keeps pause durations in an int32 of seconds. */
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Seconds of a pause duration as the controller reads it (RolloutPause.DurationSeconds): a number of
 * seconds, digits (`"90"`), or a Go duration (`2m`). Undefined when the controller would reject it.
 */
export function pauseDurationSeconds(value: PauseDuration): number | undefined {
    if (typeof value === "number") {
        return Number.isInteger(value) && value >= 0 && value <= MAX_INT32 ? value : undefined;
    }
    const seconds = /^\d+$/.test(value) ? Number(value) : goDurationSeconds(value);
    return seconds !== undefined && seconds <= MAX_INT32 ? seconds : undefined;
}
