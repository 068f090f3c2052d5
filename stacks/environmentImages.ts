import { StackConfig } from "../config";
import { serviceImage } from "../lib/imageRef";

/**
 * The full image reference each service of an environment runs: `images.<service>` when set,
 * otherwise the catalogue's repository at the stack's `imageTag` (the schema requires one of them).
 */
export function environmentImages(config: StackConfig): Record<string, string> {
    return Object.fromEntries(config.services.map((spec) => [spec.name, serviceImage(spec.image, config.imageTag ?? "", config.images[spec.name])]));
}
