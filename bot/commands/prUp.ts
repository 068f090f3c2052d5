import type { OutputMap } from "@pulumi/pulumi/automation";
import { prStackName } from "../../lib/naming";
import type { Command } from "../args";
import { prConfigUpdate } from "../configChanges";
import { BotContext, plainOutputs } from "../context";
import { updateStack } from "../engine";
import { openStack } from "../workspace";

/** The human lines for a PR stack's outputs: URL, namespace, and each service's image. */
export function describePrOutputs(stack: string, outputs: OutputMap): string {
    const values = plainOutputs(outputs);
    const services = (values.services ?? {}) as Record<string, { image?: string }>;
    return [
        `${stack} is up at ${String(values.url)}`,
        `  namespace      ${String(values.namespace)}`,
        `  active         ${String(values.active)}`,
        `  lastDeployedAt ${values.lastDeployedAt === null || values.lastDeployedAt === undefined ? "(none)" : String(values.lastDeployedAt)}`,
        "  services:",
        ...Object.entries(services).map(([name, service]) => `    ${name.padEnd(18)} ${service.image ?? ""}`),
    ].join("\n");
}

/** `pr up <n>`: create or select pr-<n>, write its config through the contract, update. */
export async function prUp(command: Extract<Command, { kind: "pr up" }>, ctx: BotContext): Promise<void> {
    const name = prStackName(command.pr);
    ctx.out.progress(`pr up: ${name} at image tag ${command.imageTag}`);
    const stack = await openStack(name, ctx.settings, ctx.out, true);
    const result = await updateStack(stack, (current) => prConfigUpdate(current, command, new Date(ctx.now())), {
        message: `rollout-bot pr up ${command.pr} --image-tag ${command.imageTag}`,
        policyPacks: command.policyPacks,
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
    }, ctx);
    const outputs = plainOutputs(result.outputs);
    ctx.out.result(describePrOutputs(name, result.outputs), {
        stack: name, url: outputs.url, outputs, changes: result.summary.resourceChanges ?? {},
    });
}
