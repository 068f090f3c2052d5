/**
 * RFC3339 timestamps in UTC, the only form `deployedAt` takes: the value is copied verbatim into a
 * pod-template annotation, so two spellings of one instant would be two restarts.
 */

const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

/** Why `value` is not an RFC3339 UTC timestamp, or undefined when it is one. */
export function rfc3339UtcProblem(value: string): string | undefined {
    const match = RFC3339_UTC.exec(value);
    if (!match) {
        if (/^\d+$/.test(value)) {
            return "a unix timestamp is not accepted";
        }
        if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:?\d{2}$/.test(value)) {
            return "the time has a local offset; convert it to UTC and end it with Z";
        }
        return "it is not in the form YYYY-MM-DDTHH:MM:SSZ";
    }
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const sameFields =
        date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
        date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
    return sameFields ? undefined : "it is not a real date and time";
}

/** The RFC3339 UTC form of `date`, to the second: what the release bot writes into `deployedAt`. */
export function toRfc3339Utc(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
