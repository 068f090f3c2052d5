import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { EnvironmentConfig } from "../config/environment";
import { ConfigError, fullKey } from "../config/errors";
import { PROMOTION_OVERRIDE_VARIABLE, promotionRefusalMessage, promotionRefusals } from "../lib/promotionGate";
import { environmentImages } from "./environmentImages";

/**
 * The promotion gate of an environment with `environment.promotedFrom`, run before the program
 * registers anything that changes: an update that would set an image the source stack has never run
 * Healthy stops here with nothing changed. A preview only warns: the merge pipeline releases to the
 * source first, so a pull request may well change both.
 *
 * `PROMOTION_OVERRIDE_VARIABLE` (a reason) lets one update through, with the reason and what was
 * overridden in its log.
 */
export async function enforcePromotionGate(config: StackConfig, environment: EnvironmentConfig, last: pulumi.StackReference): Promise<void> {
    const source = environment.promotedFrom;
    if (source === undefined) {
        return;
    }
    if (source === pulumi.getStack()) {
        throw new ConfigError([{
            key: fullKey(["environment", "promotedFrom"]),
            message: "an environment cannot be promoted from itself; name the stack whose releases it follows, such as dev",
            given: JSON.stringify(source),
        }]);
    }
    const sourceStack = new pulumi.StackReference(`promoted-from-${source}`, { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${source}` });
    const [sourceServices, lastServices] = await Promise.all([sourceStack.getOutputDetails("services"), last.getOutputDetails("services")]);
    const candidates = Object.entries(environmentImages(config)).map(([service, image]) => ({ service, image }));
    const refusals = promotionRefusals(candidates, source, sourceServices.value, lastServices.value);
    if (refusals.length === 0) {
        return;
    }
    const message = promotionRefusalMessage(refusals);
    const override = process.env[PROMOTION_OVERRIDE_VARIABLE]?.trim() ?? "";
    if (override !== "") {
        const passed = refusals.map((refusal) => `${refusal.service}=${refusal.image}`).join(", ");
        await pulumi.log.warn(`promotion gate overridden (${PROMOTION_OVERRIDE_VARIABLE}: ${override}): ${passed}, never Healthy in ${source}, let through`);
        return;
    }
    if (pulumi.runtime.isDryRun()) {
        await pulumi.log.warn(`${message}\n(A preview only warns; the update will refuse unless ${source} is Healthy on the image by then.)`);
        return;
    }
    throw new PromotionRefused(message);
}

/** The gate's refusal. A RunError, so the CLI prints the message alone, without a stack trace. */
export class PromotionRefused extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "PromotionRefused";
    }
}
