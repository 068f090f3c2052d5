import { prStackName } from "../../lib/naming";
import type { Command } from "../args";
import { activeUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateStack } from "../engine";
import { openStack } from "../workspace";

/** `pr pause <n>` / `pr resume <n>`: active=false scales every workload to 0 and keeps everything else. */
export async function prSetActive(command: Extract<Command, { kind: "pr pause" | "pr resume" }>, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    const active = command.kind === "pr resume";
    ctx.out.progress(`${command.kind}: ${name}`);
    const stack = await openStack(name, ctx.settings, ctx.out, false);
    const result = await updateStack(stack, () => activeUpdate(active), {
        message: `rollout-bot ${command.kind} ${command.pr}`,
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
    }, ctx);
    ctx.out.result(
        active ? `${name} resumed: workloads are back at their replica counts` : `${name} paused: every workload is at 0 replicas; namespace and config are kept`,
        { stack: name, active, changes: result.summary.resourceChanges ?? {} },
    );
}
