import { Command } from "@commander-js/extra-typings";
import { imagesUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateOptions, updateStack } from "../engine";
import { recordHealthy } from "../healthyRecord";
import {
    BotCommand, examples, Following, following, imageOption, jsonOption, Notifying, notifying, notifyOption, Overriding, overriding, policyPackConfigOption, policyPackOption,
    promotionOverrideOption, STACK_HELP, stackName, timeoutOption, Updating, updating, waitLockOption, waitOption,
} from "../options";
import { describeFollowed, followServices } from "../rollouts/follow";
import { openStack } from "../workspace";

export type ReleaseCommand = { readonly kind: "release"; readonly stack: string; readonly images: Readonly<Record<string, string>> } & Updating & Following & Overriding & Notifying;

export const releaseCommand: BotCommand<ReleaseCommand> = {
    declare: (parsed) => new Command("release")
        .description("Set images.<service> and update; the service's Rollout walks its canary or blue/green steps.")
        .argument("<stack>", STACK_HELP, stackName)
        .addOption(imageOption())
        .addOption(waitOption())
        .addOption(timeoutOption())
        .addOption(waitLockOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(promotionOverrideOption())
        .addOption(notifyOption())
        .addOption(jsonOption())
        .addHelpText("after", examples("release prod --image cart-service=ghcr.io/pilab-hu/cart-service:v2.4.0 --wait"))
        .action((stack, options) => parsed({
            kind: "release", stack, images: options.image, ...following(options), ...updating(options), ...overriding(options), ...notifying(options),
        })),
    run: release,
};

/**
 * `release <stack> --image <service>=<ref>`: sets images.<service> and updates. Only that
 * service's Rollout template changes; the controller walks its steps. With --wait the bot follows
 * it until Healthy, paused for a promote, or Degraded, and puts a Healthy image on the stack's
 * record for the promotion gate ({@link recordHealthy}).
 */
export async function release(command: ReleaseCommand, ctx: BotContext): Promise<void> {
    const services = Object.keys(command.images);
    const described = Object.entries(command.images).map(([service, image]) => `${service}=${image}`).join(" ");
    ctx.out.progress(`release: ${command.stack} ${described}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const result = await updateStack(stack, (current) => imagesUpdate(current, command.images), updateOptions(command, `rollout-bot release ${described}`), ctx);
    const rollouts = command.wait ? await followServices(stack, services, command.timeoutMs, ctx) : [];
    const record = command.wait ? await recordHealthy(stack, rollouts, command.waitLockMs, ctx) : undefined;
    ctx.out.result(
        [`released ${described} to ${command.stack}`, ...rollouts.flatMap((rollout) => describeFollowed(rollout).map((text) => `  ${text}`))].join("\n"),
        { stack: command.stack, images: command.images, changes: result.summary.resourceChanges ?? {}, rollouts, ...(record === undefined ? {} : { healthy: record.recorded }) },
    );
}
