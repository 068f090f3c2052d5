import * as fs from "node:fs";
import { Command, CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { dnsLabel, dnsName, imageReference, imageTag } from "../config/primitives";
import type { BotContext } from "./context";
import { formatDuration, parseDuration } from "./duration";
import { DEFAULT_KEEP_LABEL } from "./reaper";

/**
 * What the commands in bot/commands/ share: the shape a command file exports, the arguments and
 * options several commands take, and the checks behind their values (config's zod primitives and
 * parseDuration), whose messages name the argument, the value and the fix.
 */

/** How long `--wait-lock` without a value waits for another update to finish. */
export const DEFAULT_WAIT_LOCK_MS = 10 * 60_000;
/** How long `--wait` follows a Rollout without `--timeout`: the prod canary's steps take about 10 minutes. */
export const DEFAULT_ROLLOUT_TIMEOUT_MS = 30 * 60_000;

/**
 * One command of the bot, declared beside its handler: `declare` builds the commander command,
 * whose action hands the parsed, validated command to `parsed`; `run` carries it out.
 */
export interface BotCommand<C> {
    declare(parsed: (command: C) => void): CommandUnknownOpts;
    run(command: C, ctx: BotContext): Promise<void>;
}

/** A value the command line got wrong; the program root names the command and adds its usage. */
export class InvalidValue extends Error {}

/** Refuses a value; the command's name and usage are added where it is caught. */
export function invalid(message: string): never {
    throw new InvalidValue(message);
}

/** The `examples:` block at the end of a command's help. */
export function examples(...lines: string[]): string {
    return ["", "examples:", ...lines.map((line) => `  rollout-bot ${line}`)].join("\n");
}

/** Options of every command. */
export interface Common {
    /** Print the result as one JSON document on stdout. */
    readonly json: boolean;
}

/** Options of commands that update a stack. */
export interface Updating extends Common {
    /** Wait this long for another update's lock instead of failing; undefined = do not wait. */
    readonly waitLockMs?: number;
    /** Policy pack directories the update runs (`--policy-pack`); undefined or empty = none. */
    readonly policyPacks?: readonly string[];
    /** JSON config files of the packs, by position (`--policy-pack-config`); at most one per pack. */
    readonly policyPackConfigs?: readonly string[];
}

/** Options of commands that may set a new image on an environment behind the promotion gate. */
export interface Overriding {
    /** Why this update may pass the promotion gate (`--override-promotion-gate`): written into its message. */
    readonly promotionOverride?: string;
}

export function overriding(options: { readonly overridePromotionGate?: string }): Overriding {
    return options.overridePromotionGate === undefined ? {} : { promotionOverride: options.overridePromotionGate };
}

/** `--override-promotion-gate <reason>`: an emergency's way past the gate, with the reason on record. */
export function promotionOverrideOption() {
    return new Option("--override-promotion-gate <reason>", "let this update past the promotion gate (environment.promotedFrom); the reason goes into the update's message")
        .argParser((reason) => {
            const trimmed = reason.trim();
            return trimmed.length >= 3 ? trimmed : invalid(`--override-promotion-gate '${reason}': give the reason, e.g. 'INC-4711: dev cluster down, hotfix'; it is written into the update's message`);
        });
}

/** Options of commands that can post their summary (`--notify`). */
export interface Notifying {
    /** Post the one-line summary, or the failure, to the webhook in ROLLOUT_BOT_NOTIFY_URL. */
    readonly notify?: true;
}

export function notifying(options: { readonly notify?: true }): Notifying {
    return options.notify === true ? { notify: true } : {};
}

/** Options of commands that may follow Rollouts after the update. */
export interface Following {
    /** Follow the Rollouts until they settle. */
    readonly wait: boolean;
    readonly timeoutMs: number;
}

/** The PR stack's desired config, as `pr up` and `pr preview` take it. */
export interface PrSpec {
    readonly pr: number;
    readonly imageTag: string;
    /** Subset of the catalogue; undefined keeps what the stack has (all services on a new stack). */
    readonly services?: readonly string[];
    /** Base domain; undefined keeps what the stack has (the project default on a new stack). */
    readonly domain?: string;
    /** Policy pack directories to run with the update or preview. */
    readonly policyPacks: readonly string[];
    /** Write the result into the pull request's sticky comment (needs GITHUB_TOKEN and GITHUB_REPOSITORY). */
    readonly comment: boolean;
}

/** `<n>`: a pull request number. */
export function prNumber(text: string): number {
    const value = Number(text);
    if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(value)) {
        invalid(`<n> must be a pull request number (a positive whole number), got '${text}'`);
    }
    return value;
}

export const STACK_HELP = "the stack, e.g. dev, prod or pr-123";

/** `<stack>`: a stack name, optionally qualified with org and project. */
export function stackName(text: string): string {
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(text)) {
        invalid(`<stack> must be a stack name such as dev, prod or pr-123, got '${text}'`);
    }
    return text;
}

/** `<service>`: a catalogue service name. */
export function serviceName(text: string): string {
    if (!dnsLabel.safeParse(text).success) {
        invalid(`<service> must be a service name such as cart-service, got '${text}'`);
    }
    return text;
}

/** A parser for the duration option `flag`, in milliseconds. */
export function duration(flag: string, hint = ""): (text: string) => number {
    return (text) => parseDuration(text) ?? invalid(`${flag} must be a duration such as 90s, 15m, 2h or 7d, got '${text}'${hint}`);
}

export function jsonOption() {
    return new Option("--json", "print the result as JSON on stdout (progress stays on stderr)");
}

/** `--wait-lock [duration]`: bare, it waits {@link DEFAULT_WAIT_LOCK_MS}. */
export function waitLockOption() {
    const bare = formatDuration(DEFAULT_WAIT_LOCK_MS);
    return new Option("--wait-lock [duration]", "if another update holds the stack, wait up to this long for it instead of failing")
        .preset(bare)
        .argParser(duration("--wait-lock", ` (to wait ${bare}, put a bare --wait-lock after the arguments)`));
}

export function waitOption() {
    return new Option("--wait", "follow the Rollouts until Healthy, paused for a promote, or Degraded");
}

export function timeoutOption() {
    return new Option("--timeout <duration>", "give up following after this long")
        .argParser(duration("--timeout"))
        .default(DEFAULT_ROLLOUT_TIMEOUT_MS, formatDuration(DEFAULT_ROLLOUT_TIMEOUT_MS));
}

function imageTagOption() {
    return new Option("--image-tag <tag>", "tag of every service image: pr-<n>-<short sha> per commit, or a mutable pr-<n> that restarts on every run")
        .argParser((text) => {
            const result = imageTag.safeParse(text);
            return result.success ? text : invalid(`--image-tag '${text}': ${result.error.issues[0]?.message}`);
        })
        .makeOptionMandatory();
}

function servicesOption() {
    return new Option("--services <a,b>", "deploy only these catalogue services (default: what the stack has, all on a new one)")
        .argParser((text) => {
            const names = text.split(",").map((name) => name.trim());
            const bad = names.find((name) => !dnsLabel.safeParse(name).success);
            if (bad !== undefined) {
                invalid(`--services must be a comma-separated list of service names, got '${bad}' in '${text}'`);
            }
            if (new Set(names).size !== names.length) {
                invalid(`--services names a service twice: '${text}'`);
            }
            return names;
        });
}

function domainOption() {
    return new Option("--domain <domain>", "base DNS domain (default: what the stack has, the project default on a new one)")
        .argParser((text) => {
            const result = dnsName.safeParse(text);
            return result.success ? text : invalid(`--domain '${text}': ${result.error.issues[0]?.message}`);
        });
}

export function policyPackOption() {
    return new Option("--policy-pack <dir>", "run this policy pack (repeatable), e.g. policy")
        .argParser((dir, previous: readonly string[] | undefined) => [...(previous ?? []), dir]);
}

/** `--policy-pack-config <file>`, repeatable: a pack's config (enforcement levels, rule settings), read now so a typo fails before any update. */
export function policyPackConfigOption() {
    return new Option("--policy-pack-config <file>", "JSON config of the --policy-pack at the same position (repeatable), e.g. policy-config.json")
        .argParser((file, previous: readonly string[] | undefined) => {
            let text: string;
            try {
                text = fs.readFileSync(file, "utf8");
            } catch (error) {
                return invalid(`--policy-pack-config '${file}': cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); give a JSON file such as {"prod-rollout-analysis": {"productionStacks": ["prod"]}}`);
            }
            let parsed: unknown;
            try {
                parsed = JSON.parse(text);
            } catch (error) {
                return invalid(`--policy-pack-config '${file}': not JSON (${(error as Error).message})`);
            }
            if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
                invalid(`--policy-pack-config '${file}': expected a JSON object of policy names to settings`);
            }
            return [...(previous ?? []), file];
        });
}

/** `--notify`: post the command's one-line summary to the webhook in ROLLOUT_BOT_NOTIFY_URL (bot/notify.ts). */
export function notifyOption() {
    return new Option("--notify", "post a one-line summary (or the failure) to the Slack-compatible webhook in ROLLOUT_BOT_NOTIFY_URL");
}

function commentOption() {
    return new Option("--comment", "write the result into the PR's sticky comment (GITHUB_TOKEN, GITHUB_REPOSITORY; GITHUB_API_URL for Enterprise)");
}

/** `--image <service>=<ref>`, repeatable: the images to release by service. */
export function imageOption() {
    return new Option("--image <service>=<ref>", "the image to release, with a tag or digest (repeatable)")
        // `previous` is undefined on the first --image; the mandatory option then always has a record.
        .argParser<Readonly<Record<string, string>>>((pair, previous: Readonly<Record<string, string>> | undefined) => {
            const eq = pair.indexOf("=");
            const service = eq < 0 ? "" : pair.slice(0, eq);
            const ref = eq < 0 ? "" : pair.slice(eq + 1);
            if (!dnsLabel.safeParse(service).success || ref === "") {
                invalid(`--image must be <service>=<image reference>, got '${pair}'`);
            }
            const result = imageReference.safeParse(ref);
            if (!result.success) {
                invalid(`--image ${service}: ${result.error.issues[0]?.message} (got '${ref}')`);
            }
            if (previous?.[service] !== undefined) {
                invalid(`--image names ${service} twice`);
            }
            return { ...previous, [service]: ref };
        })
        .makeOptionMandatory();
}

export function keepLabelOption() {
    return new Option("--keep-label <label>", "never pause or destroy a PR with this label (read with GITHUB_TOKEN and GITHUB_REPOSITORY; '' for none)")
        .argParser((label) => {
            if (label !== "" && (label.length > 50 || label.trim() !== label)) {
                invalid(`--keep-label must be a GitHub label name (1 to 50 characters, no surrounding spaces) or '' for none, got '${label}'`);
            }
            return label;
        })
        .default(DEFAULT_KEEP_LABEL);
}

export function common(options: { readonly json?: true }): Common {
    return { json: options.json ?? false };
}

export function updating(options: {
    readonly json?: true; readonly waitLock?: number; readonly policyPack?: readonly string[]; readonly policyPackConfig?: readonly string[];
}): Updating {
    const packs = options.policyPack ?? [];
    const configs = options.policyPackConfig ?? [];
    if (configs.length > packs.length) {
        invalid(`--policy-pack-config is given ${configs.length} time(s) and --policy-pack ${packs.length}: each config goes with the --policy-pack at the same position; add the pack it configures`);
    }
    return {
        ...common(options),
        ...(options.waitLock === undefined ? {} : { waitLockMs: options.waitLock }),
        ...(options.policyPack === undefined ? {} : { policyPacks: options.policyPack }),
        ...(options.policyPackConfig === undefined ? {} : { policyPackConfigs: options.policyPackConfig }),
    };
}

/** `pr <name> <n>` with the options that say what the PR stack should be: `pr up` and `pr preview`. */
export function prSpecCommand(name: string, description: string) {
    return new Command(name)
        .description(description)
        .argument("<n>", "the pull request number", prNumber)
        .addOption(imageTagOption())
        .addOption(servicesOption())
        .addOption(domainOption())
        .addOption(policyPackOption())
        .addOption(policyPackConfigOption())
        .addOption(commentOption())
        .addOption(waitLockOption())
        .addOption(jsonOption());
}

export function prSpec(pr: number, options: {
    readonly imageTag: string; readonly services?: string[]; readonly domain?: string; readonly policyPack?: readonly string[]; readonly comment?: true;
}): PrSpec {
    return {
        pr,
        imageTag: options.imageTag,
        ...(options.services === undefined ? {} : { services: options.services }),
        ...(options.domain === undefined ? {} : { domain: options.domain }),
        policyPacks: options.policyPack ?? [],
        comment: options.comment ?? false,
    };
}

export function following(options: { readonly wait?: true; readonly timeout: number }): Following {
    return { wait: options.wait ?? false, timeoutMs: options.timeout };
}
