import * as path from "node:path";
import { ConcurrentUpdateError, ConfigMap, EngineEvent, PreviewResult, Stack, UpResult } from "@pulumi/pulumi/automation";
import { PROMOTION_OVERRIDE_VARIABLE } from "../lib/promotionGate";
import { CheckoutLockedError, withCheckoutLock } from "./checkoutLock";
import { formatDuration } from "./duration";
import { BotError, configErrorOf, EngineFailure, engineFailure, EXIT, promotionRefusalOf } from "./errors";
import { describeEngineEvent, Output } from "./output";
import type { Overriding, Updating } from "./options";
import { ConfigUpdate, isEmptyUpdate, revertUpdate } from "./stackConfig";
import { writeConfig } from "./workspace";

/** What the engine runner needs from the outside world; tests pass a fake clock. */
export interface EngineContext {
    readonly out: Output;
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** Waits between lock attempts: 1s, 2s, 4s ... capped at 30s, so a freed lock is taken soon without hammering the backend. */
export function lockRetryDelay(attempt: number): number {
    return Math.min(1_000 * 2 ** attempt, 30_000);
}

/**
 * Runs `operation`; when another update holds the stack's lock (the engine's ConcurrentUpdateError,
 * or another bot command's {@link CheckoutLockedError}) and `waitLockMs` is given, tries again with
 * backoff until the lock frees or the wait is over. Without `waitLockMs` the error goes to the
 * caller unchanged.
 */
export async function withLockWait<T>(operation: () => Promise<T>, waitLockMs: number | undefined, ctx: EngineContext): Promise<T> {
    const deadline = ctx.now() + (waitLockMs ?? 0);
    for (let attempt = 0; ; attempt++) {
        try {
            return await operation();
        } catch (error) {
            if (!(error instanceof ConcurrentUpdateError || error instanceof CheckoutLockedError) || waitLockMs === undefined) {
                throw error;
            }
            const remaining = deadline - ctx.now();
            if (remaining <= 0) {
                throw new BotError(`another update still held the stack after waiting ${formatDuration(waitLockMs)}; nothing was changed. ` +
                    "Run the command again later, or with a longer --wait-lock.", EXIT.concurrentUpdate);
            }
            const delay = Math.min(lockRetryDelay(attempt), remaining);
            ctx.out.progress(`  another update holds the stack; trying again in ${formatDuration(delay)}`);
            await ctx.sleep(delay);
        }
    }
}

type EngineCallbacks = { onEvent: (event: EngineEvent) => void; color: "never" };

/**
 * Runs one engine operation with its events streamed to stderr as they happen (and to `extra`),
 * and keeps its diagnostics: a failure is rethrown as an EngineFailure carrying them (see
 * {@link engineFailure}), so it is classified from the engine's diagnostics rather than the CLI's text.
 */
async function runEngine<T>(ctx: EngineContext, operation: (callbacks: EngineCallbacks) => Promise<T>, extra?: (event: EngineEvent) => void): Promise<T> {
    // What a failure is judged by: its diagnostics, policy violations and the steps it started.
    const kept: EngineEvent[] = [];
    try {
        return await operation({
            color: "never",
            onEvent: (event) => {
                if (event.diagnosticEvent !== undefined || event.policyEvent !== undefined || event.resourcePreEvent !== undefined) {
                    kept.push(event);
                }
                extra?.(event);
                const line = describeEngineEvent(event);
                if (line !== undefined) {
                    ctx.out.progress(line);
                }
            },
        });
    } catch (error) {
        throw engineFailure(error, kept);
    }
}

/**
 * True when the failed operation provably changed nothing, so the config it was given can be put
 * back: it never got the lock, the program refused its config or the promotion gate its images (both
 * before the program declares anything), or a policy pack refused it before
 * any step that changes a resource began (otherwise the next plain `pulumi up` would apply, unjudged,
 * what the pack refused).
 */
function appliedNothing(error: unknown): boolean {
    return error instanceof ConcurrentUpdateError || configErrorOf(error) !== undefined || promotionRefusalOf(error) !== undefined ||
        (error instanceof EngineFailure && error.violations.length > 0 && !error.startedChanges);
}

/**
 * Puts back what `update` wrote, unless someone changed those keys since. Never throws: a failure
 * here must not hide the error (or result) of the operation itself, so it is reported instead.
 */
async function restoreConfig(stack: Stack, before: ConfigMap, update: ConfigUpdate, ctx: EngineContext): Promise<boolean> {
    try {
        const revert = revertUpdate(before, update, await stack.getAllConfig());
        if (isEmptyUpdate(revert)) {
            return false;
        }
        await writeConfig(stack, revert);
        return true;
    } catch (error) {
        ctx.out.error(`warning: could not put ${stack.name}'s config back (${(error as Error).message.split("\n")[0]}); ` +
            `check the keys ${[...Object.keys(update.set), ...update.remove].join(", ")} with \`pulumi config --stack ${stack.name}\``);
        return false;
    }
}

export interface UpdateOptions {
    readonly waitLockMs?: number;
    /** The update's message in the stack history; the reaper finds its own pauses by it. */
    readonly message: string;
    readonly policyPacks?: readonly string[];
    readonly policyPackConfigs?: readonly string[];
    /** Let the update past the promotion gate, for this reason (also in the message). */
    readonly promotionOverride?: string;
}

/**
 * The update options of a command that updates a stack: its history message, lock wait, policy
 * packs and promotion-gate override (whose reason the message records).
 */
export function updateOptions(command: Updating & Overriding, message: string): UpdateOptions {
    const override = command.promotionOverride;
    return {
        message: override === undefined ? message : `${message} [promotion gate overridden: ${override}]`,
        ...(override === undefined ? {} : { promotionOverride: override }),
        ...(command.waitLockMs === undefined ? {} : { waitLockMs: command.waitLockMs }),
        ...(command.policyPacks === undefined ? {} : { policyPacks: command.policyPacks }),
        ...(command.policyPackConfigs === undefined ? {} : { policyPackConfigs: command.policyPackConfigs }),
    };
}

/** Policy packs and their configs are given relative to where the bot was started; the CLI runs in the repo root. */
function policyPackOption(options: { readonly policyPacks?: readonly string[]; readonly policyPackConfigs?: readonly string[] }): { policyPacks?: string[]; policyPackConfigs?: string[] } {
    const packs = options.policyPacks ?? [];
    const configs = options.policyPackConfigs ?? [];
    return {
        ...(packs.length === 0 ? {} : { policyPacks: packs.map((pack) => path.resolve(pack)) }),
        ...(configs.length === 0 ? {} : { policyPackConfigs: configs.map((config) => path.resolve(config)) }),
    };
}

/** A config change computed from the stack's current config. */
export type ConfigChange = (current: ConfigMap) => ConfigUpdate;

/**
 * Holds the checkout's lock (trying again while `--wait-lock` allows, from the config as it is
 * then), writes the change into the stack's config and runs `operation` with the config as it was
 * before and the update written.
 */
function withConfigChange<T>(
    stack: Stack, change: ConfigChange, waitLockMs: number | undefined, ctx: EngineContext,
    operation: (before: ConfigMap, update: ConfigUpdate) => Promise<T>,
): Promise<T> {
    return withLockWait(() => withCheckoutLock(stack, async () => {
        const before = await stack.getAllConfig();
        const update = change(before);
        await writeConfig(stack, update);
        return operation(before, update);
    }), waitLockMs, ctx);
}

/**
 * Writes the change into the stack's config and runs `pulumi up`. If the program refuses the config
 * or another update holds the lock, nothing was applied and the config is put back as it was, so
 * the next `pulumi up` does not trip over a value that never made it.
 */
export async function updateStack(stack: Stack, change: ConfigChange, options: UpdateOptions, ctx: EngineContext): Promise<UpResult> {
    return withConfigChange(stack, change, options.waitLockMs, ctx, async (before, update) => {
        try {
            return await withPromotionOverride(stack, options.promotionOverride,
                () => runEngine(ctx, (callbacks) => stack.up({ ...callbacks, message: options.message, ...policyPackOption(options) })));
        } catch (error) {
            if (appliedNothing(error) && await restoreConfig(stack, before, update, ctx)) {
                ctx.out.progress(`  nothing was applied; ${stack.name}'s config is back as it was`);
            }
            throw error;
        }
    });
}

/**
 * Runs `operation` with the program told to let the update past the promotion gate, for `reason`.
 * Without one the variable stays empty, as the bot's workspace always sets it: an override exported
 * in the caller's shell never passes silently.
 */
async function withPromotionOverride<T>(stack: Stack, reason: string | undefined, operation: () => Promise<T>): Promise<T> {
    if (reason === undefined) {
        return operation();
    }
    const env = stack.workspace.envVars;
    env[PROMOTION_OVERRIDE_VARIABLE] = reason;
    try {
        return await operation();
    } finally {
        env[PROMOTION_OVERRIDE_VARIABLE] = "";
    }
}

/**
 * Previews the stack with the change applied to its config, then puts the config back: a preview
 * changes nothing, not even the settings file. `onEvent` sees every engine event (the summary
 * collector).
 */
export async function previewStack(
    stack: Stack, change: ConfigChange, options: Omit<UpdateOptions, "message">, onEvent: (event: EngineEvent) => void, ctx: EngineContext,
): Promise<PreviewResult> {
    return withConfigChange(stack, change, options.waitLockMs, ctx, async (before, update) => {
        try {
            return await runEngine(ctx, (callbacks) => stack.preview({ ...callbacks, ...policyPackOption(options) }), onEvent);
        } finally {
            await restoreConfig(stack, before, update, ctx);
        }
    });
}

/**
 * Destroys the stack's resources, then removes the stack. `destroy --remove` removes it only after
 * every resource is gone: a failed destroy keeps the stack and its state, so a retry picks up there.
 */
export async function destroyAndRemove(stack: Stack, options: { readonly waitLockMs?: number; readonly message: string }, ctx: EngineContext): Promise<void> {
    await withLockWait(() => runEngine(ctx, (callbacks) => stack.destroy({ ...callbacks, message: options.message, remove: true })), options.waitLockMs, ctx);
}
