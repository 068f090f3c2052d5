import type { Stack } from "@pulumi/pulumi/automation";
import { recordedHealthyImages } from "../lib/promotionGate";
import type { BotContext } from "./context";
import { updateStack } from "./engine";
import type { FollowedRollout } from "./rollouts/follow";

/** What {@link recordHealthy} did: per service the image now on record as Healthy, and whether it took an update. */
export interface HealthyRecord {
    readonly recorded: Readonly<Record<string, string>>;
    readonly updated: boolean;
}

/** The images each service's record lacks, of the Rollouts that ended Healthy. */
function unrecorded(rollouts: readonly FollowedRollout[], services: unknown): Record<string, string> {
    return Object.fromEntries(rollouts.flatMap((rollout) => {
        const image = rollout.images[0];
        return rollout.phase === "Healthy" && image !== undefined && !recordedHealthyImages(services, rollout.name).includes(image)
            ? [[rollout.name, image]]
            : [];
    }));
}

/**
 * After `--wait` saw Rollouts end Healthy: puts their images on the stack's record
 * (`services.<service>.healthyImages`), which the promotion gate of the stacks promoted from this
 * one reads. The update that released them read the Rollouts before the controller had them
 * Healthy, so one more update, with the config as it is, lets the program read them back again: it
 * changes no resource, only the outputs. Skipped when the record has every image already.
 */
export async function recordHealthy(stack: Stack, rollouts: readonly FollowedRollout[], waitLockMs: number | undefined, ctx: BotContext): Promise<HealthyRecord> {
    const healthy = Object.fromEntries(rollouts.flatMap((rollout) => rollout.phase === "Healthy" && rollout.images[0] !== undefined ? [[rollout.name, rollout.images[0]]] : []));
    const missing = unrecorded(rollouts, (await stack.outputs()).services?.value);
    if (Object.keys(missing).length === 0) {
        return { recorded: healthy, updated: false };
    }
    const described = Object.entries(missing).map(([service, image]) => `${service}=${image}`).join(" ");
    ctx.out.progress(`recording Healthy in ${stack.name}: ${described}`);
    const result = await updateStack(stack, () => ({ set: {}, remove: [] }), {
        message: `rollout-bot: record Healthy ${described}`,
        ...(waitLockMs === undefined ? {} : { waitLockMs }),
    }, ctx);
    const still = unrecorded(rollouts, result.outputs.services?.value);
    for (const [service, image] of Object.entries(still)) {
        ctx.out.progress(`  ${service} was no longer Healthy on ${image} when the update read it back; not recorded`);
    }
    return { recorded: Object.fromEntries(Object.entries(healthy).filter(([service]) => still[service] === undefined)), updated: true };
}
