import { imageReferenceProblem, parseImageReference } from "../../lib/imageRef";
import { ContainerInfo } from "./workloads";

/**
 * `latest` and untagged images move under a stack without a config change: the same `pulumi up`
 * can run different code tomorrow, and neither a rollout nor an undo can name what ran.
 */
export function imageProblems(containers: readonly ContainerInfo[]): string[] {
    return containers.flatMap(({ label, container }) => {
        const image: unknown = container.image;
        if (typeof image !== "string" || image === "") {
            return [`${label} has no image`];
        }
        const ref = parseImageReference(image);
        if (ref === undefined) {
            return [`${label}: '${image}' is not a valid image reference: ${imageReferenceProblem(image)}`];
        }
        if (ref.digest !== undefined) {
            return [];
        }
        if (ref.tag === undefined) {
            return [`${label}: image '${image}' has no tag or digest; pin a version (${ref.repository}:1.2.3) or a digest (${ref.repository}@sha256:...)`];
        }
        return ref.tag === "latest" ? [`${label}: image '${image}' uses the floating tag 'latest'; pin a version or a digest`] : [];
    });
}
