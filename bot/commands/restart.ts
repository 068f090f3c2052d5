import type { Command } from "../args";
import { restartUpdate } from "../configChanges";
import { BotContext, plainOutputs } from "../context";
import { updateStack } from "../engine";
import { configKey } from "../stackConfig";
import { openStack } from "../workspace";

/**
 * `restart <stack>`: a new deployedAt (RFC3339 UTC, to the second) and `pulumi up`. The program
 * copies it into every workload's pod-template restartedAt annotation, so each rolls once.
 */
export async function restart(command: Extract<Command, { kind: "restart" }>, ctx: BotContext): Promise<void> {
    ctx.out.progress(`restart: ${command.stack}`);
    const stack = await openStack(command.stack, ctx.settings, ctx.out, false);
    let deployedAt = "";
    const result = await updateStack(stack, (current) => {
        const update = restartUpdate(current, new Date(ctx.now()));
        deployedAt = update.set[configKey("deployedAt")]!.value;
        return update;
    }, {
        message: "rollout-bot restart",
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
    }, ctx);
    const outputs = plainOutputs(result.outputs);
    const applied = outputs.lastDeployedAt;
    ctx.out.result(
        `${command.stack} restarted at ${deployedAt}` + (applied === undefined ? "" : `; lastDeployedAt is ${String(applied)}`),
        { stack: command.stack, deployedAt, lastDeployedAt: applied ?? null, changes: result.summary.resourceChanges ?? {} },
    );
}
