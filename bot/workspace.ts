import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace, LocalWorkspaceOptions, Stack, StackSummary, UpdateSummary } from "@pulumi/pulumi/automation";
import { pooled } from "../lib/pooled";
import { PROMOTION_OVERRIDE_VARIABLE } from "../lib/promotionGate";
import { BotError, EXIT } from "./errors";
import { Output } from "./output";
import { ConfigUpdate, configFromLastUpdate, isEmptyUpdate } from "./stackConfig";

/**
 * The repository root, the directory of Pulumi.yaml, whether the bot runs from bot/ or compiled
 * from dist/bot/: the bot drives the same program `pulumi up` runs.
 */
export const REPO_ROOT = projectRoot(__dirname);

function projectRoot(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no Pulumi.yaml in ${from} or above it: the bot runs from a checkout of rollout-stacks`);
        }
    }
}

/** Where the bot keeps state by default: next to the toolchain, outside the repository. */
function cacheDir(env: NodeJS.ProcessEnv): string {
    return env.ROLLOUT_STACKS_CACHE ?? path.join(env.HOME ?? os.homedir(), ".cache", "rollout-stacks");
}

/** How the bot reaches Pulumi: everything from the environment, nothing hard-wired. */
export interface BotSettings {
    readonly workDir: string;
    readonly backendUrl: string;
    /** Secrets provider for new stacks (`passphrase`, `awskms://...`); the CLI's default when undefined. */
    readonly secretsProvider?: string;
    /**
     * PULUMI_CONFIG_PASSPHRASE and PULUMI_CONFIG_PASSPHRASE_FILE as the bot's environment sets them,
     * handed to the CLI; undefined when it sets neither.
     */
    readonly passphraseEnv?: Readonly<Record<string, string>>;
}

const PASSPHRASE_VARIABLES = ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"] as const;

/**
 * `PULUMI_BACKEND_URL` when set (Pulumi Cloud, s3://, a shared file:// path), otherwise a local
 * file backend under the cache directory, so a laptop needs no login. The Pulumi CLI itself and
 * PULUMI_HOME come from PATH and the environment, as for any `pulumi` command.
 */
export function botSettings(env: NodeJS.ProcessEnv): BotSettings {
    const backendUrl = env.PULUMI_BACKEND_URL ?? `file://${path.join(cacheDir(env), "state")}`;
    const secretsProvider = env.ROLLOUT_BOT_SECRETS_PROVIDER;
    const passphraseEnv = Object.fromEntries(PASSPHRASE_VARIABLES.flatMap((name) => {
        const value = env[name];
        return value === undefined ? [] : [[name, value]];
    }));
    return {
        workDir: REPO_ROOT,
        backendUrl,
        ...(secretsProvider === undefined || secretsProvider === "" ? {} : { secretsProvider }),
        ...(Object.keys(passphraseEnv).length === 0 ? {} : { passphraseEnv }),
    };
}

/**
 * Stacks on a self-managed backend encrypt secrets with a passphrase unless told otherwise; without
 * one the CLI fails halfway through. Say so before anything is touched.
 */
export function secretsProblem(settings: BotSettings): string | undefined {
    const cloud = /^https?:\/\//.test(settings.backendUrl);
    const passphrase = settings.passphraseEnv !== undefined;
    const provider = settings.secretsProvider !== undefined && settings.secretsProvider !== "passphrase";
    if (cloud || passphrase || provider) {
        return undefined;
    }
    return `the backend ${settings.backendUrl} keeps secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE ` +
        "(or PULUMI_CONFIG_PASSPHRASE_FILE), or choose another secrets provider with ROLLOUT_BOT_SECRETS_PROVIDER";
}

function workspaceOptions(settings: BotSettings): LocalWorkspaceOptions {
    return {
        workDir: settings.workDir,
        // An override of the promotion gate passes only as the command's --override-promotion-gate (bot/engine.ts).
        envVars: { ...settings.passphraseEnv, PULUMI_BACKEND_URL: settings.backendUrl, [PROMOTION_OVERRIDE_VARIABLE]: "" },
        ...(settings.secretsProvider === undefined ? {} : { secretsProvider: settings.secretsProvider }),
    };
}

/** A file backend's directory must exist before the CLI can log in to it. */
function ensureFileBackend(settings: BotSettings): void {
    if (settings.backendUrl.startsWith("file://")) {
        const dir = settings.backendUrl.slice("file://".length).replace(/^~(?=\/|$)/, os.homedir());
        fs.mkdirSync(dir, { recursive: true });
    }
}

function checkSettings(settings: BotSettings): void {
    const problem = secretsProblem(settings);
    if (problem !== undefined) {
        throw new BotError(problem, EXIT.usage);
    }
    ensureFileBackend(settings);
}

/** True when this checkout has the stack's settings file (`Pulumi.<stack>.yaml`). */
function hasStackSettings(workDir: string, stackName: string): boolean {
    const file = stackName.split("/").pop() ?? stackName;
    return [".yaml", ".yml", ".json"].some((ext) => fs.existsSync(path.join(workDir, `Pulumi.${file}${ext}`)));
}

/** Writes a config update through the CLI, as `pulumi config set-all --json` and `pulumi config rm-all`. */
export async function writeConfig(stack: Stack, update: ConfigUpdate): Promise<void> {
    if (Object.keys(update.set).length > 0) {
        await stack.setAllConfigJson(JSON.stringify(update.set));
    }
    if (update.remove.length > 0) {
        await stack.removeAllConfig([...update.remove]);
    }
}

/**
 * The existing stack `stackName`, without `pulumi stack select`: that is a CLI process of its own
 * (~0.2 s, bench/RESULTS.md) and makes the stack the checkout's current one, which is the user's
 * choice, not the bot's. Every command the Automation API runs on a stack names it (`--stack`), so
 * a missing stack is the StackNotFoundError of the first of them instead.
 */
async function namedStack(stackName: string, settings: BotSettings): Promise<Stack> {
    const workspace = await LocalWorkspace.create(workspaceOptions(settings));
    workspace.selectStack = async () => undefined;
    return Stack.select(stackName, workspace);
}

/**
 * Opens a stack of this project. `create` makes a missing stack; otherwise a missing stack is a
 * StackNotFoundError from the first command run on it. A checkout without the stack's settings
 * file (a fresh CI runner) gets the config of the stack's last update back first, so commands that
 * change one key (pause, restart, release) do not run the program with the rest of the config missing.
 */
export async function openStack(stackName: string, settings: BotSettings, out: Output, create: boolean): Promise<Stack> {
    checkSettings(settings);
    const hadSettings = hasStackSettings(settings.workDir, stackName);
    const stack = create
        ? await LocalWorkspace.createOrSelectStack({ stackName, workDir: settings.workDir }, workspaceOptions(settings))
        : await namedStack(stackName, settings);
    if (!hadSettings) {
        const restored = configFromLastUpdate(await stack.history(10, 1, true));
        if (restored !== undefined && !isEmptyUpdate(restored)) {
            out.progress(`  this checkout has no Pulumi.${stackName}.yaml; restored the config of ${stackName}'s last update`);
            await writeConfig(stack, restored);
        }
    }
    return stack;
}

/** Every stack of this project in the backend, with its last update time. */
export async function listStacks(settings: BotSettings): Promise<StackSummary[]> {
    checkSettings(settings);
    const workspace = await LocalWorkspace.create(workspaceOptions(settings));
    return workspace.listStacks();
}

const execFileAsync = promisify(execFile);

/** How many `pulumi stack history` processes {@link stackHistories} runs at once. */
const HISTORY_CONCURRENCY = 4;

/**
 * The newest `pageSize` entries of each stack's update history, without touching any stack's
 * config: one workspace for all of them and one `pulumi stack history --stack <name>` process per
 * stack, a few at once. (Opening a Stack per name would add a `pulumi stack select` and a CLI
 * version check to each.)
 */
export async function stackHistories(stackNames: readonly string[], settings: BotSettings, pageSize: number): Promise<Map<string, UpdateSummary[]>> {
    checkSettings(settings);
    const workspace = await LocalWorkspace.create(workspaceOptions(settings));
    const env = { PULUMI_DEBUG_COMMANDS: "true", ...(workspace.pulumiHome === undefined ? {} : { PULUMI_HOME: workspace.pulumiHome }), ...workspace.envVars };
    const history = async (name: string): Promise<UpdateSummary[]> => {
        const args = ["stack", "history", "--json", "--page-size", String(pageSize), "--page", "1", "--stack", name];
        const { stdout } = await execFileAsync(workspace.pulumiCommand.command, args,
            { cwd: workspace.workDir, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
            .catch((error: { stderr?: string; message: string }) => {
                throw new Error(`pulumi ${args.join(" ")} failed: ${(error.stderr ?? "").trim() || error.message}`);
            });
        return JSON.parse(stdout, (key, value: unknown) =>
            (key === "startTime" || key === "endTime") && typeof value === "string" ? new Date(value) : value) as UpdateSummary[];
    };
    const histories = await pooled(stackNames.map((name) => () => history(name)), HISTORY_CONCURRENCY);
    return new Map(stackNames.map((name, i) => [name, histories[i]!]));
}
