/**
 * The image each service ran before this update, for the notifications that name it ("image v3,
 * was v2"). An environment stack reads its own outputs of the last update: the image a service
 * ran then is its previous image when this update changes it; otherwise the previous image stays
 * what it was, so an update that leaves a service alone changes nothing of it.
 */

/** What one service's stack output records of its images. */
interface RecordedImages {
    readonly image?: unknown;
    readonly previousImage?: unknown;
}

/** The previous image of `service` now at `image`, from the stack's last `services` output; "" when none is known. */
export function previousImageOf(lastServices: unknown, service: string, image: string): string {
    const recorded = lastServices !== null && typeof lastServices === "object"
        ? (lastServices as Record<string, RecordedImages | undefined>)[service]
        : undefined;
    const last = typeof recorded?.image === "string" ? recorded.image : undefined;
    if (last === undefined) {
        return "";
    }
    if (last !== image) {
        return last;
    }
    return typeof recorded?.previousImage === "string" ? recorded.previousImage : "";
}
