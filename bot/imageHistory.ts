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

/**
 * Each history entry's number, as `history` shows it and `undo --to` takes it: the backend's
 * version where it keeps one (Pulumi Cloud), else the entry's place counted from the oldest (a
 * self-managed backend records version 0 for every update). `history` is the whole history, newest first.
 */
export function updateNumber(history: readonly UpdateSummary[], update: UpdateSummary): number {
    return update.version > 0 ? update.version : history.length - history.indexOf(update);
}

/** What a service ran in one update: its `images.<service>` override, or the stack's `imageTag`. */
export interface ServiceImage {
    /** The override; undefined when the service ran at `imageTag`. */
    readonly image?: string;
    /** The stack's `imageTag` in that update, shown when there is no override. */
    readonly imageTag?: string;
}

/** One release of a service: the update that brought it a new image, as `history` lists it. */
export interface ServiceRelease extends ServiceImage {
    /** The update's number in the stack's history (`pulumi stack history`), which `undo --to` takes. */
    readonly update: number;
    readonly at: string;
    readonly result: string;
    /** What made the update: its message (the bot writes its command line), else the CLI's kind. */
    readonly by: string;
}

function serviceImage(update: UpdateSummary, service: string): ServiceImage {
    const image = imageInUpdate(update, service);
    if (image !== undefined) {
        return { image };
    }
    const tag = update.config?.[configKey("imageTag")]?.value;
    return tag === undefined ? {} : { imageTag: tag };
}

function sameImage(a: ServiceImage, b: ServiceImage): boolean {
    return a.image === b.image && (a.image !== undefined || a.imageTag === b.imageTag);
}

/** `image` or `imageTag <tag>`: a release's image as a person reads it. */
export function describeServiceImage(image: ServiceImage): string {
    return image.image ?? (image.imageTag === undefined ? "(the catalogue's image)" : `imageTag ${image.imageTag}`);
}

/**
 * The service's releases, newest first, as `kubectl rollout history` lists revisions: consecutive
 * updates that ran it at the same image are one release (restarts and other services' releases
 * are not releases of this one), shown by its first update that succeeded, or its first update
 * when none did (a refused or failed release).
 */
export function serviceReleases(history: readonly UpdateSummary[], service: string): ServiceRelease[] {
    const runs: UpdateSummary[][] = [];
    for (const update of history.filter((entry) => entry.kind === "update")) {
        const run = runs.at(-1);
        if (run !== undefined && sameImage(serviceImage(run[0]!, service), serviceImage(update, service))) {
            run.push(update);
        } else {
            runs.push([update]);
        }
    }
    return runs.map((run) => {
        const oldestFirst = [...run].reverse();
        const update = oldestFirst.find((entry) => entry.result === "succeeded") ?? oldestFirst[0]!;
        const by = update.message.trim() || update.environment?.["git.author"] || update.environment?.["exec.kind"] || "pulumi up";
        return { update: updateNumber(history, update), at: update.startTime.toISOString().replace(/\.\d{3}Z$/, "Z"), result: update.result, by, ...serviceImage(update, service) };
    });
}

/**
 * `undo --to`: the image the service ran in update `to` (its number in the history), or `to` itself
 * when it is an image the service ran in a succeeded update. Only what ran and worked before is a
 * target; anything else is a new release, for `release`.
 */
export function undoTargetTo(history: readonly UpdateSummary[], service: string, to: string): UndoTarget | { readonly kind: "unknown"; readonly why: string } {
    const updates = history.filter((entry) => entry.kind === "update");
    const current = updates[0] === undefined ? undefined : imageInUpdate(updates[0], service);
    const target = /^\d+$/.test(to) ? updates.find((update) => updateNumber(history, update) === Number(to)) : undefined;
    if (/^\d+$/.test(to)) {
        if (target === undefined) {
            return { kind: "unknown", why: `the stack's history has no update ${to}` };
        }
        if (target.result !== "succeeded") {
            return { kind: "unknown", why: `update ${to} ${target.result}, so its image never ran as released` };
        }
        const image = imageInUpdate(target, service);
        if (image === undefined) {
            return current === undefined ? { kind: "nothing" } : { kind: "imageTag", current };
        }
        return image === current ? { kind: "nothing", current } : { kind: "image", ...(current === undefined ? {} : { current }), image };
    }
    if (to === current) {
        return { kind: "nothing", current };
    }
    const ran = updates.some((update) => update.result === "succeeded" && imageInUpdate(update, service) === to);
    return ran
        ? { kind: "image", ...(current === undefined ? {} : { current }), image: to }
        : { kind: "unknown", why: `no succeeded update ran ${service} at ${to}` };
}
