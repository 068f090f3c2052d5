/**
 * Container image references, after the grammar of the distribution project's reference package:
 * `[registry[:port]/]path[:tag][@digest]`. Kept apart from resource code so it is testable alone.
 */

const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REGISTRY_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const REGISTRY = `(?:${REGISTRY_LABEL}(?:\\.${REGISTRY_LABEL})*(?::[0-9]+)?)`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]+";

/** A registry host is only recognised as such when it looks like a host: it has a dot or a port, or is `localhost`. */
const REPOSITORY = `(?:${REGISTRY}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

const repositoryPattern = new RegExp(`^${REPOSITORY}$`);
const tagPattern = new RegExp(`^${TAG}$`);
const referencePattern = new RegExp(`^(${REPOSITORY})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/** Docker Hub and most registries refuse repository names longer than this. */
const MAX_NAME_LENGTH = 255;

export interface ImageReference {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** True for a repository without tag or digest (`ghcr.io/acme/cart-service`). */
export function isImageRepository(value: string): boolean {
    return value.length <= MAX_NAME_LENGTH && repositoryPattern.test(value) && !hasUppercasePath(value);
}

/** True for a valid tag (`pr-123`, `v1.2.3`): 1–128 word characters, dots and dashes, not starting with either. */
export function isImageTag(value: string): boolean {
    return tagPattern.test(value);
}

/**
 * The digests the kubelet pulls by (the OCI digest package's registered algorithms), each exactly
 * this many lowercase hex digits. The reference grammar alone takes any algorithm and 32 or more
 * digits of either case; the kubelet refuses the rest as InvalidImageName.
 */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why `digest` (`algorithm:hex`) is not one the kubelet can pull by, or undefined when it is. */
export function digestProblem(digest: string): string | undefined {
    const colon = digest.indexOf(":");
    const [algorithm, hex] = [digest.slice(0, colon), digest.slice(colon + 1)];
    const length = DIGEST_HEX_LENGTHS[algorithm];
    if (colon < 0 || length === undefined) {
        return `the digest algorithm ${JSON.stringify(algorithm.slice(0, 20))} is not one the kubelet pulls by (${Object.keys(DIGEST_HEX_LENGTHS).join(", ")})`;
    }
    if (!/^[0-9a-f]*$/.test(hex)) {
        return `a ${algorithm} digest is written in lowercase hex digits`;
    }
    return hex.length === length ? undefined : `a ${algorithm} digest has exactly ${length} hex digits, this one has ${hex.length}`;
}

/** `value` read as a reference, and why no registry and kubelet would accept it, if so. */
function readReference(value: string): { readonly ref?: ImageReference; readonly problem?: string } {
    const match = referencePattern.exec(value);
    if (!match || match[1] === undefined || !isImageRepository(match[1])) {
        return { problem: "it does not follow the grammar [registry[:port]/]path[:tag][@algorithm:hex], path in lowercase" };
    }
    const problem = match[3] === undefined ? undefined : digestProblem(match[3]);
    return problem === undefined ? { ref: { repository: match[1], tag: match[2], digest: match[3] } } : { problem };
}

/** Why `value` is no full image reference a registry and the kubelet would accept, or undefined when it is one (tag and digest optional). */
export function imageReferenceProblem(value: string): string | undefined {
    return readReference(value).problem;
}

/** Parses a full reference; undefined when no registry would accept it, or the kubelet would not pull it. */
export function parseImageReference(value: string): ImageReference | undefined {
    return readReference(value).ref;
}

/** `repository:tag`. */
export function withTag(repository: string, tag: string): string {
    return `${repository}:${tag}`;
}

/** The tag or digest a reference pins, for display (`v2`, `sha256:ab12…`). */
export function pinOf(reference: ImageReference): string | undefined {
    return reference.digest ?? reference.tag;
}

/** Path components must be lowercase; only the registry host may carry capitals. */
function hasUppercasePath(repository: string): boolean {
    const firstSlash = repository.indexOf("/");
    const first = firstSlash < 0 ? repository : repository.slice(0, firstSlash);
    const firstIsRegistry = firstSlash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    const path = firstIsRegistry ? repository.slice(firstSlash + 1) : repository;
    return path !== path.toLowerCase();
}

/**
 * The image a service runs in a stack: the per-service override from `images` when there is one,
 * otherwise the catalogue repository at the stack's tag.
 */
export function serviceImage(repository: string, tag: string, override: string | undefined): string {
    return override ?? withTag(repository, tag);
}

/**
 * A tag that names one build for good: it ends in a git commit hash of 7 to 40 hex digits
 * (`pr-123-1a2b3c4`, `sha-1a2b3c4`) or is a full release version (`v1.2.3`, `1.4.0-rc.1`).
 * Registries let any tag be pushed again; these are the tags that, by convention, never are.
 */
const IMMUTABLE_TAG = /(?:^|[-_.])[0-9a-f]{7,40}$|^v?(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?$/;

/**
 * Whether a reference can point at other bytes tomorrow: true for a tag such as `pr-123`, `main`
 * or `v1.2` that each build pushes again, false for a digest or an {@link IMMUTABLE_TAG}. Unknown
 * conventions count as mutable, so the worst case is a restart too many, never a stale image.
 */
export function isMutableReference(reference: string): boolean {
    const parsed = parseImageReference(reference);
    if (parsed?.digest !== undefined) {
        return false;
    }
    return parsed?.tag === undefined || isMutableTag(parsed.tag);
}

/** Whether a tag can be pushed again with other bytes: anything but an {@link IMMUTABLE_TAG}. */
export function isMutableTag(tag: string): boolean {
    return !IMMUTABLE_TAG.test(tag);
}

/** `Always` for a {@link isMutableReference mutable} reference, so a restart pulls what the tag names now; Kubernetes' default (`IfNotPresent` for a tag or digest) otherwise. */
export function imagePullPolicy(reference: string): "Always" | undefined {
    return isMutableReference(reference) ? "Always" : undefined;
}
