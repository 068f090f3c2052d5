import type { ConfigMap } from "@pulumi/pulumi/automation";
import { isMutableReference, isMutableTag } from "../lib/imageRef";
import { rfc3339UtcProblem, toRfc3339Utc } from "../lib/timestamp";
import type { PrSpec } from "./options";
import { ConfigUpdate, configKey, objectValue, plain, stringValue, structured } from "./stackConfig";

/**
 * The config each command writes, through the contract's keys (../shared/DESIGN.md): pure
 * functions from the stack's current config to a {@link ConfigUpdate}.
 */

/**
 * `pr up` / `pr preview`: pr.number, imageTag and active=true, plus pr.services and domain when
 * given. Other pr.* keys a human set (ttlHours, quota, customDomain) are kept. When the images can
 * have changed behind the same name (a mutable tag such as `pr-123`, see {@link needsRestart}), a
 * new deployedAt too, so every push rolls the environment once; a per-commit tag or a digest
 * changes the pod templates by itself and needs no restart.
 */
export function prConfigUpdate(current: ConfigMap, spec: Pick<PrSpec, "pr" | "imageTag" | "services" | "domain">, now: Date): ConfigUpdate {
    const pr = { ...objectValue(current, "pr"), number: spec.pr, ...(spec.services === undefined ? {} : { services: [...spec.services] }) };
    return {
        set: {
            [configKey("pr")]: structured(pr),
            [configKey("imageTag")]: plain(spec.imageTag),
            [configKey("active")]: plain("true"),
            ...(spec.domain === undefined ? {} : { [configKey("domain")]: plain(spec.domain) }),
            ...(needsRestart(current, spec.imageTag) ? restartUpdate(current, now).set : {}),
        },
        remove: [],
    };
}

/** True when the stack's images are named by a mutable tag: `imageTag` itself, or an `images` override. */
export function needsRestart(current: ConfigMap, imageTag: string): boolean {
    const overrides = Object.values(objectValue(current, "images") ?? {});
    return isMutableTag(imageTag) || overrides.some((image) => typeof image === "string" && isMutableReference(image));
}

/** `pr pause` / `pr resume`. */
export function activeUpdate(active: boolean): ConfigUpdate {
    return { set: { [configKey("active")]: plain(String(active)) }, remove: [] };
}

/**
 * The `deployedAt` for a restart at `now`: now to the second, or one second past the stack's
 * current value when that is not earlier, because an unchanged value is no restart at all.
 */
export function nextDeployedAt(current: string | undefined, now: Date): string {
    const at = new Date(Math.floor(now.getTime() / 1_000) * 1_000);
    if (current !== undefined && rfc3339UtcProblem(current) === undefined) {
        const previous = Date.parse(current);
        if (previous >= at.getTime()) {
            return toRfc3339Utc(new Date(Math.floor(previous / 1_000) * 1_000 + 1_000));
        }
    }
    return toRfc3339Utc(at);
}

/** `restart`: a new deployedAt. */
export function restartUpdate(current: ConfigMap, now: Date): ConfigUpdate {
    return { set: { [configKey("deployedAt")]: plain(nextDeployedAt(stringValue(current, "deployedAt"), now)) }, remove: [] };
}

/**
 * `release` / `undo`: sets `images.<service>` for each service, or removes the override (undefined)
 * so the service runs at the stack's imageTag again. The key goes away with its last entry.
 */
export function imagesUpdate(current: ConfigMap, changes: Readonly<Record<string, string | undefined>>): ConfigUpdate {
    const images: Record<string, unknown> = { ...objectValue(current, "images") };
    for (const [service, image] of Object.entries(changes)) {
        if (image === undefined) {
            delete images[service];
        } else {
            images[service] = image;
        }
    }
    const key = configKey("images");
    if (Object.keys(images).length > 0) {
        return { set: { [key]: structured(images) }, remove: [] };
    }
    return current[key] === undefined ? { set: {}, remove: [] } : { set: {}, remove: [key] };
}
