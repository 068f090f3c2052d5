import { Command } from "@commander-js/extra-typings";
import { prStackName } from "../../lib/naming";
import { activeUpdate } from "../configChanges";
import { BotContext } from "../context";
import { updateOptions, updateStack } from "../engine";
import { BotCommand, examples, jsonOption, prNumber, Updating, updating, waitLockOption } from "../options";
import { openStack } from "../workspace";

export type PrActiveCommand = { readonly kind: "pr pause" | "pr resume"; readonly pr: number } & Updating;

function prActiveCommand(kind: PrActiveCommand["kind"], description: string): BotCommand<PrActiveCommand> {
    return {
        declare: (parsed) => new Command(kind.slice("pr ".length))
            .description(description)
            .argument("<n>", "the pull request number", prNumber)
            .addOption(waitLockOption())
            .addOption(jsonOption())
            .addHelpText("after", examples(`${kind} 123`))
            .action((pr, options) => parsed({ kind, pr, ...updating(options) })),
        run: prSetActive,
    };
}

export const prPauseCommand = prActiveCommand("pr pause", "Scale pr-<n> to zero (active=false), keeping its namespace, config and data.");
export const prResumeCommand = prActiveCommand("pr resume", "Scale pr-<n> back up (active=true).");

/** `pr pause <n>` / `pr resume <n>`: active=false scales every workload to 0 and keeps everything else. */
export async function prSetActive(command: PrActiveCommand, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    const active = command.kind === "pr resume";
    ctx.out.progress(`${command.kind}: ${name}`);
    const stack = await openStack(name, ctx.settings, ctx.out, false);
    const result = await updateStack(stack, () => activeUpdate(active), updateOptions(command, `rollout-bot ${command.kind} ${command.pr}`), ctx);
    ctx.out.result(
        active ? `${name} resumed: workloads are back at their replica counts` : `${name} paused: every workload is at 0 replicas; namespace and config are kept`,
        { stack: name, active, changes: result.summary.resourceChanges ?? {} },
    );
}
