import type { Command } from "../args";
import { imagesUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateStack } from "../engine";
import { describeRollout } from "../rollouts";
import { openStack } from "../workspace";
import { followServices } from "./follow";

/**
 * `release <stack> --image <service>=<ref>`: sets images.<service> and updates. Only that
 * service's Rollout template changes; the controller walks its steps. With --wait the bot follows
 * it until Healthy, paused for a promote, or Degraded.
 */
export async function release(command: Extract<Command, { kind: "release" }>, ctx: BotContext): Promise<void> {
    const services = Object.keys(command.images);
    const described = Object.entries(command.images).map(([service, image]) => `${service}=${image}`).join(" ");
    ctx.out.progress(`release: ${command.stack} ${described}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    const result = await updateStack(stack, (current) => imagesUpdate(current, command.images), {
        message: `rollout-bot release ${described}`,
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
    }, ctx);
    const rollouts = command.wait ? await followServices(stack, services, command.timeoutMs, ctx) : [];
    ctx.out.result(
        [`released ${described} to ${command.stack}`, ...rollouts.map((summary) => `  ${describeRollout(summary)}`)].join("\n"),
        { stack: command.stack, images: command.images, changes: result.summary.resourceChanges ?? {}, rollouts },
    );
}
