import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { configKey } from "./stackConfig";

/**
 * Where `undo` finds "the previous image": the stack's update history. The backend records the
 * full config of every update next to its result, written by the engine in the same step as the
 * state, so it cannot drift from what was deployed (a bot-kept tag or output would miss a plain
 * `pulumi up`), survives fresh CI checkouts (the settings file does not), and keeps failed updates
 * too, so undo after a failed release returns to the last image that worked.
 */

/** The `images.<service>` override an update ran with; undefined when the service ran at `imageTag`. */
export function imageInUpdate(update: UpdateSummary, service: string): string | undefined {
    const entry = update.config?.[configKey("images")] as ({ value?: string; objectValue?: unknown } | undefined);
    if (entry === undefined) {
        return undefined;
    }
    let images: unknown = entry.objectValue;
    if (images === undefined && entry.value !== undefined) {
        try {
            images = JSON.parse(entry.value);
        } catch {
            return undefined;
        }
    }
    const image = images !== null && typeof images === "object" ? (images as Record<string, unknown>)[service] : undefined;
    return typeof image === "string" ? image : undefined;
}

/** Where undo goes: a previous image, or back to the stack's `imageTag` (no override). */
export type UndoTarget =
    | { readonly kind: "image"; readonly current?: string; readonly image: string }
    | { readonly kind: "imageTag"; readonly current: string }
    | { readonly kind: "nothing"; readonly current?: string };

/**
 * The image before the current one, from `history` (newest first, as `pulumi stack history` lists
 * it). The current image is the one the newest update ran with, failed or not (a failed release
 * may be half rolled out); the target is the newest *succeeded* update that ran a different one.
 * Undoing twice therefore swaps back, like `kubectl rollout undo`.
 */
export function undoTarget(history: readonly UpdateSummary[], service: string): UndoTarget {
    const updates = history.filter((entry) => entry.kind === "update");
    const newest = updates[0];
    if (newest === undefined) {
        return { kind: "nothing" };
    }
    const current = imageInUpdate(newest, service);
    for (const update of updates.slice(1)) {
        if (update.result !== "succeeded") {
            continue;
        }
        const image = imageInUpdate(update, service);
        if (image === current) {
            continue;
        }
        if (image === undefined) {
            return { kind: "imageTag", current: current! };
        }
        return current === undefined ? { kind: "image", image } : { kind: "image", current, image };
    }
    return current === undefined ? { kind: "nothing" } : { kind: "nothing", current };
}
