/**
 * Per-PR isolation of shared backing services, as the PRStack operator hands it to every pod:
 * each PR gets its own MongoDB database per service, NATS subject prefix and Redis key prefix, so
 * PR environments can share one MongoDB, NATS and Redis without seeing each other's data.
 */
export interface IsolationSettings {
    readonly MONGODB_DATABASE: string;
    readonly NATS_SUBJECT_PREFIX: string;
    readonly REDIS_KEY_PREFIX: string;
}

export function prIsolation(prNumber: number, service: string): IsolationSettings {
    const scope = `pr-${prNumber}`;
    return {
        MONGODB_DATABASE: `${scope}-${service}`,
        NATS_SUBJECT_PREFIX: scope,
        REDIS_KEY_PREFIX: `${scope}:`,
    };
}
