/**
 * `rollout-bot pr reap` over many PR stacks, which must read every PR stack's recent history (a
 * recent reaper pause hides the older real activity, so the listing's last-update time alone does
 * not tell). Side by side in one run: the histories read as the bot reads them now
 * (bot/workspace.ts stackHistories: one workspace, one `pulumi stack history` per stack, a few at
 * once) against opening each stack in turn (a workspace, `stack select` and `stack history` per
 * stack), and the whole command as a process. The stacks live in a file backend of their own, made
 * with `pulumi stack init` only: reading an empty history costs the CLI the same process.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { BotSettings, REPO_ROOT, stackHistories } from "../bot/workspace";
import { median, timed } from "./measure";

export interface ReapRow {
    readonly stacks: number;
    readonly sequentialMs: number;
    readonly historiesMs: number;
    readonly commandMs: number;
}

const BOT = path.join(__dirname, "..", "bot", "bin.js");
const PASSPHRASE = "bench-reap";

/** Measures `sizes` stack counts in one backend, growing it stack by stack. */
export async function benchReap(sizes: readonly number[], runs: number): Promise<ReapRow[]> {
    const backend = mkdtempSync(path.join(tmpdir(), "rollout-stacks-reap-"));
    const env: Record<string, string> = {
        PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true",
        // The bot reads the PRs' labels only with a keep label; there is no GitHub here.
        GITHUB_TOKEN: "", GITHUB_REPOSITORY: "",
    };
    const settings: BotSettings = { workDir: REPO_ROOT, backendUrl: env.PULUMI_BACKEND_URL!, passphraseEnv: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } };
    const names: string[] = [];
    const rows: ReapRow[] = [];
    try {
        for (const size of sizes) {
            while (names.length < size) {
                const name = `pr-${names.length + 1}`;
                execFileSync("pulumi", ["stack", "init", name, "--secrets-provider", "passphrase", "--no-select"],
                    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: "ignore" });
                names.push(name);
            }
            const samples = { sequential: [] as number[], histories: [] as number[], command: [] as number[] };
            for (let run = 0; run < runs; run++) {
                samples.sequential.push(await timed(async () => {
                    for (const name of names) {
                        const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: REPO_ROOT }, { workDir: REPO_ROOT, envVars: env });
                        await stack.history(10, 1, false);
                    }
                }));
                samples.histories.push(await timed(() => stackHistories(names, settings, 10)));
                samples.command.push(await timed(() => execFileSync(process.execPath, [BOT, "pr", "reap", "--idle", "1h", "--keep-label", "", "--json"],
                    { env: { ...process.env, ...env }, stdio: "ignore" })));
            }
            rows.push({ stacks: size, sequentialMs: median(samples.sequential), historiesMs: median(samples.histories), commandMs: median(samples.command) });
        }
        return rows;
    } finally {
        rmSync(backend, { recursive: true, force: true });
    }
}
