/**
 * Runs `tasks` with at most `limit` of them at once, each started as soon as one before it ends,
 * and resolves to their results in the tasks' order; rejects with the first failure (tasks already
 * started still run to their end).
 */
export async function pooled<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
    if (!Number.isInteger(limit) || limit < 1) {
        throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`);
    }
    const results = new Array<T>(tasks.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        for (let i = next++; i < tasks.length; i = next++) {
            results[i] = await tasks[i]!();
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
    return results;
}
