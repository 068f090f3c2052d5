/** Wall time of one action in milliseconds. */
export async function timed(action: () => Promise<unknown> | unknown): Promise<number> {
    const start = process.hrtime.bigint();
    await action();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
