/**
 * The promotion gate: an environment with `environment.promotedFrom` (prod) takes a new image for a
 * service only once the source environment (dev) has run that image Healthy.
 *
 * The record is each environment stack's own `services.<service>.healthyImages` output. An
 * environment's program reads its Rollouts back from the cluster on every update and adds the image
 * a Rollout is Healthy on, as the controller reports it (the current spec observed, phase Healthy,
 * the stable ReplicaSet the current one). Nothing but the source's own program, reading its own
 * cluster, writes that record: not the bot, not a config key a person could set.
 */

/** How many Healthy images a service's record keeps, newest last; older ones drop out. */
export const HEALTHY_IMAGES_KEPT = 20;

/** The variable that lets one update past the gate; its value is the reason, logged with the update. */
export const PROMOTION_OVERRIDE_VARIABLE = "ROLLOUT_STACKS_PROMOTION_OVERRIDE";

/** The parts of a live Rollout (as the API server returns it) that say what it is Healthy on. */
interface LiveRollout {
    readonly metadata?: { readonly name?: string; readonly generation?: number };
    readonly spec?: { readonly template?: { readonly spec?: { readonly containers?: readonly { readonly name?: string; readonly image?: string }[] } } };
    readonly status?: {
        readonly phase?: string;
        readonly observedGeneration?: string | number;
        readonly stableRS?: string;
        readonly currentPodHash?: string;
        readonly abort?: boolean;
    };
}

/**
 * The image a live Rollout runs Healthy, or undefined while it is anything else: the controller has
 * not yet observed its current spec, a release is under way (the current ReplicaSet is not the
 * stable one), it is paused, aborted or Degraded.
 */
export function healthyImageOf(live: unknown): string | undefined {
    if (live === null || typeof live !== "object") {
        return undefined;
    }
    const { metadata, spec, status } = live as LiveRollout;
    const observed = status?.observedGeneration;
    if (status?.phase !== "Healthy" || status.abort === true || observed === undefined || metadata?.generation === undefined) {
        return undefined;
    }
    if (String(observed) !== String(metadata.generation)) {
        return undefined;
    }
    if (status.stableRS === undefined || status.stableRS === "" || status.stableRS !== status.currentPodHash) {
        return undefined;
    }
    const containers = spec?.template?.spec?.containers ?? [];
    const container = containers.find((c) => c.name === metadata.name) ?? containers[0];
    return container?.image === undefined || container.image === "" ? undefined : container.image;
}

/** The Healthy images a stack's `services` output records for `service`; none when it records none. */
export function recordedHealthyImages(services: unknown, service: string): string[] {
    const recorded = services !== null && typeof services === "object" ? (services as Record<string, { healthyImages?: unknown } | undefined>)[service] : undefined;
    const images = recorded?.healthyImages;
    return Array.isArray(images) ? images.filter((image): image is string => typeof image === "string") : [];
}

/** The record with `healthy` added as the newest (moved there if it was older), at most {@link HEALTHY_IMAGES_KEPT}. */
export function withHealthyImage(recorded: readonly string[], healthy: string | undefined): string[] {
    if (healthy === undefined) {
        return [...recorded];
    }
    return [...recorded.filter((image) => image !== healthy), healthy].slice(-HEALTHY_IMAGES_KEPT);
}

/** One service's image an update would refuse: the source never ran it Healthy, nor did this environment. */
export interface PromotionRefusal {
    readonly service: string;
    readonly image: string;
    /** The source stack's name, e.g. `dev`. */
    readonly source: string;
    /** What the source has run Healthy, newest last. */
    readonly sourceHealthy: readonly string[];
}

/** What the gate compares for one service. */
export interface PromotionCandidate {
    readonly service: string;
    /** The image this update sets. */
    readonly image: string;
}

/**
 * The services whose image this update would change to one neither the source stack nor this
 * environment has run Healthy. An image the service already runs passes (an unrelated change or a
 * restart is never held up), and so does one this environment ran Healthy itself (an undo).
 *
 * @param lastServices this stack's `services` output of its last update
 * @param sourceServices the source stack's `services` output
 */
export function promotionRefusals(
    candidates: readonly PromotionCandidate[], source: string, sourceServices: unknown, lastServices: unknown,
): PromotionRefusal[] {
    return candidates.flatMap(({ service, image }) => {
        const current = lastServices !== null && typeof lastServices === "object"
            ? (lastServices as Record<string, { image?: unknown } | undefined>)[service]?.image
            : undefined;
        const sourceHealthy = recordedHealthyImages(sourceServices, service);
        if (current === image || sourceHealthy.includes(image) || recordedHealthyImages(lastServices, service).includes(image)) {
            return [];
        }
        return [{ service, image, source, sourceHealthy }];
    });
}

/** One refusal as a line of the gate's error: the service, the image, what the source has, and the way through. */
export function describeRefusal(refusal: PromotionRefusal): string {
    const has = refusal.sourceHealthy.length === 0
        ? `${refusal.source} has run no image of ${refusal.service} Healthy`
        : `${refusal.source} has run Healthy: ${refusal.sourceHealthy.slice(-3).join(", ")}` +
            (refusal.sourceHealthy.length > 3 ? ` (and ${refusal.sourceHealthy.length - 3} older)` : "");
    return `${refusal.service}: ${refusal.image} has never been Healthy in ${refusal.source}; ${has}`;
}

/** The start of the refusal's last line, what to do; the bot keeps it with the block. */
export const PROMOTION_ADVICE_START = "Release the image to";

/** The first line of the program's refusal; the bot recognises the error by it. */
export const PROMOTION_REFUSED_HEADER = "Promotion gate refused";

/** The whole refusal: one line per image, then what to do. */
export function promotionRefusalMessage(refusals: readonly PromotionRefusal[]): string {
    const source = refusals[0]?.source ?? "the source environment";
    return `${PROMOTION_REFUSED_HEADER} ${refusals.length} image${refusals.length === 1 ? "" : "s"}; nothing was changed:\n` +
        refusals.map((refusal) => `  - ${describeRefusal(refusal)}`).join("\n") + "\n" +
        `${PROMOTION_ADVICE_START} ${source} first and let it get Healthy there (rollout-bot env up ${source} --wait), then update this stack again. ` +
        `In an emergency, rollout-bot --override-promotion-gate '<reason>' (or ${PROMOTION_OVERRIDE_VARIABLE}='<reason>' for pulumi up) lets this one update through.`;
}
