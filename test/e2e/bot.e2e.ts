import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { catalogueNames, REPO_ROOT } from "../support/projectConfig";
import { FakeGitHub } from "../support/fakeGitHub";
import { readSections } from "../../bot/github/stickyComment";
import type { RolloutSummary } from "../../bot/rollouts/status";
import { BotRun, botRunner, failed, Failure, succeeded } from "./support/bot";
import { engineEnv, withStack } from "./support/engine";
import { InstalledPolicyPack, installPolicyPackOutsideRepo } from "./support/policyPack";
import { WebhookReceiver } from "./support/webhookReceiver";
import { Cluster, restartedAt } from "./support/kube";

/** The services most scenarios deploy (`--services`), so that they stay quick; the push scenario runs the whole catalogue. */
const CATALOGUE = ["cart-service", "order-service", "payment-service", "product-service"];
const SERVICES = CATALOGUE.join(",");
const GITHUB_TOKEN = "ghs_e2e-token";
const REPOSITORY = "pilab-hu/shop";
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** @pulumi/policy reports the pack's version from its package.json. */
const POLICY_PACK_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8")) as { version: string }).version;

/** The --json documents the scenarios read (docs/release-bot.md), as far as they assert on them. */
interface Commented { readonly comment?: { readonly posted: boolean; readonly action?: string } }
interface PrUpResult extends Commented { readonly url: string; readonly outputs: { readonly namespace: string }; readonly changes: Readonly<Record<string, number>> }
interface PreviewResult extends Commented {
    readonly markdown: string;
    readonly counts: Readonly<Record<string, number>>;
    readonly policyPacks: readonly { readonly name: string; readonly version: string; readonly local: boolean }[];
}
interface Changes { readonly changes: Readonly<Record<string, number>> }
interface RestartResult extends Changes { readonly deployedAt: string; readonly lastDeployedAt: string | null }
interface DownResult { readonly stack: string; readonly existed: boolean; readonly removed: boolean }
interface RolloutsResult { readonly rollouts: readonly RolloutSummary[] }
interface UndoResult extends RolloutsResult { readonly from: string | null; readonly to: string | null }
interface ReapResult { readonly dryRun: boolean; readonly decisions: readonly { readonly stack: string; readonly action: string; readonly outcome: string }[] }

/**
 * The release bot on the real engine, driven as CI and chat ops drive it: `rollout-bot ... --json`
 * as a child process, judged by its exit code, its JSON on stdout and the Kubernetes API.
 */
describe("release bot on the real engine", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);
    // `pr reap --yes` acts on every PR stack of its backend, and other runs share the suite's: the
    // bot's stacks live in a file backend of their own beside it, so the reaper sees only them.
    const backendUrl = `${engineEnv().PULUMI_BACKEND_URL!.replace(/\/+$/, "")}/rollout-bot`;
    const env = { ...engineEnv(), PULUMI_BACKEND_URL: backendUrl };
    const workspaceOptions = { envVars: env };

    /** The pack as the PR workflows run it: the base commit's copy, installed on its own. */
    let basePack: InstalledPolicyPack;

    before(() => {
        assert.match(backendUrl, /^file:\/\//, "the bot's end-to-end tests need a file backend (scripts/e2e.sh sets one up)");
        basePack = installPolicyPackOutsideRepo();
    });

    after(() => basePack?.remove());

    const runBot = botRunner(env);

    function bot(...args: string[]): Promise<BotRun> {
        return runBot(args);
    }

    /** A bot run with extra environment, e.g. a fake GitHub. */
    function botWith(extra: Record<string, string>, ...args: string[]): Promise<BotRun> {
        return runBot(args, extra);
    }

    /** What the reaper decided and did for one stack. */
    function reaping(result: ReapResult, stackName: string): string[][] {
        return result.decisions.filter((d) => d.stack === stackName).map((d) => [d.action, d.outcome]);
    }

    /** `pr down` in a finally: it also removes what a failed scenario left; its own failure never hides the scenario's. */
    async function prDown(pr: number, failure: unknown): Promise<void> {
        const down = await bot("pr", "down", String(pr), "--wait-lock", "5m");
        if (down.code !== 0) {
            if (failure === undefined) {
                assert.fail(`pr down ${pr} in cleanup failed:\n${down.stderr}`);
            }
            console.error(`pr down ${pr} in cleanup failed as well:\n${down.stderr}`);
        }
    }

    /** Runs `body` and always takes the PR's stack down afterwards. */
    async function withPr(pr: number, body: () => Promise<void>): Promise<void> {
        let failure: unknown;
        try {
            await body();
        } catch (error) {
            failure = error;
            throw error;
        } finally {
            await prDown(pr, failure);
        }
    }

    function selectStack(stackName: string): Promise<Stack> {
        return LocalWorkspace.selectStack({ stackName, workDir: REPO_ROOT }, workspaceOptions);
    }

    /** The checkout's current stack (`pulumi stack select`), if any. */
    async function currentStack(): Promise<string | undefined> {
        return (await (await LocalWorkspace.create({ workDir: REPO_ROOT, ...workspaceOptions })).stack())?.name;
    }

    async function unselectStack(): Promise<void> {
        execFileSync("pulumi", ["stack", "unselect"], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: "ignore" });
        assert.equal(await currentStack(), undefined);
    }

    async function stackNames(): Promise<string[]> {
        const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT, ...workspaceOptions });
        return (await workspace.listStacks()).map((summary) => summary.name);
    }

    /** Where the file backend keeps a stack's locks: `.pulumi/locks/<org>/<project>/<stack>/<id>.json`. */
    function lockDir(stackName: string): string {
        return path.join(backendUrl.slice("file://".length), ".pulumi", "locks", "organization", "rollout-stacks", stackName);
    }

    function stackLocks(stackName: string): string[] {
        return fs.existsSync(lockDir(stackName)) ? fs.readdirSync(lockDir(stackName)) : [];
    }

    /** The lock an update from another machine (a CI runner) would hold; returns its file. */
    function lockFromElsewhere(stackName: string): string {
        const file = path.join(lockDir(stackName), "e2e-ci-runner.json");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ pid: 4242, username: "ci", hostname: "runner", timestamp: new Date().toISOString() }));
        return file;
    }

    /** What a plain `pulumi preview` of the stack would change, by operation (same excluded). */
    async function pendingChanges(stackName: string): Promise<Record<string, number>> {
        const preview = await (await selectStack(stackName)).preview();
        return Object.fromEntries(Object.entries(preview.changeSummary).filter(([op, count]) => op !== "same" && (count ?? 0) > 0)) as Record<string, number>;
    }

    async function deployments(namespace: string): Promise<Record<string, { replicas?: number; available?: number; image?: string; pullPolicy?: string; restartedAt?: string }>> {
        return Object.fromEntries((await cluster.deployments(namespace)).map((d) => [d.metadata!.name!, {
            replicas: d.spec?.replicas,
            available: d.status?.availableReplicas,
            image: d.spec?.template.spec?.containers[0]?.image,
            pullPolicy: d.spec?.template.spec?.containers[0]?.imagePullPolicy,
            restartedAt: restartedAt(d),
        }]));
    }

    /** Each Deployment's current ReplicaSet (its revision) and that ReplicaSet's image. */
    async function currentImages(namespace: string): Promise<Record<string, string | undefined>> {
        const byDeployment = await cluster.replicaSetsByDeployment(namespace);
        const live = await cluster.deployments(namespace);
        return Object.fromEntries(live.map((d) => {
            const revision = d.metadata?.annotations?.["deployment.kubernetes.io/revision"];
            const current = (byDeployment.get(d.metadata!.name!) ?? []).find((rs) => rs.metadata?.annotations?.["deployment.kubernetes.io/revision"] === revision);
            return [d.metadata!.name!, current?.spec?.template?.spec?.containers[0]?.image];
        }).sort());
    }

    async function replicaSetCounts(namespace: string): Promise<Record<string, number>> {
        const byDeployment = await cluster.replicaSetsByDeployment(namespace);
        return Object.fromEntries([...byDeployment].map(([name, sets]) => [name, sets.length]).sort());
    }

    function plus(counts: Record<string, number>, n: number): Record<string, number> {
        return Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count + n]));
    }

    /** The resourceVersion of every Deployment and Service in the namespace: any write changes one. */
    async function resourceVersions(namespace: string): Promise<Record<string, string | undefined>> {
        const [deploymentList, serviceList] = await Promise.all([
            cluster.apps.listNamespacedDeployment({ namespace }),
            cluster.core.listNamespacedService({ namespace }),
        ]);
        return Object.fromEntries([
            ...deploymentList.items.map((d) => [`Deployment/${d.metadata!.name}`, d.metadata!.resourceVersion]),
            ...serviceList.items.map((s) => [`Service/${s.metadata!.name}`, s.metadata!.resourceVersion]),
        ]);
    }

    function allAvailable(state: Awaited<ReturnType<typeof deployments>>, names: readonly string[] = CATALOGUE): void {
        assert.deepEqual(Object.keys(state).sort(), [...names].sort());
        for (const [name, d] of Object.entries(state)) {
            assert.equal(d.replicas, 1, `${name} replicas`);
            assert.equal(d.available, 1, `${name} is not Available`);
        }
    }

    it("takes a PR stack through up, preview, restart, a refused config, pause, resume and down", async () => {
        const pr = 950;
        const stackName = `pr-${pr}`;
        const settingsFile = path.join(REPO_ROOT, `Pulumi.${stackName}.yaml`);
        await withPr(pr, async () => {
            const up = succeeded<PrUpResult>(await bot("pr", "up", String(pr), "--image-tag", "pr-950", "--services", SERVICES));
            assert.equal(up.url, "https://pr-950.shop.pilab.hu");
            const namespace = up.outputs.namespace;
            assert.equal(namespace, "pr-950-shop-pilab-hu");
            const live = await deployments(namespace);
            allAvailable(live);
            assert.deepEqual(Object.values(live).map((d) => d.image).sort(), CATALOGUE.map((name) => `ghcr.io/pilab-hu/${name}:pr-950`));

            // The PR check, as the workflow runs it: exactly the four Deployments change, in place, the
            // policy pack ran (through the toolchain's host shim) and passed, and the preview changes nothing.
            const preview = succeeded<PreviewResult>(await bot("pr", "preview", String(pr), "--image-tag", "pr-950-1a2b3c4", "--policy-pack", basePack.dir));
            const lines = preview.markdown.split("\n");
            assert.equal(lines[0], "### Pulumi preview of `pr-950`");
            assert.equal(preview.comment, undefined, "without --comment nothing is posted");
            assert.match(preview.markdown, /^\*\*Resources:\*\* 4 to update, \d+ unchanged$/m);
            const tableRows = lines.filter((line) => line.startsWith("| ")).slice(2);
            // From the mutable pr-950 to a per-commit tag: the image, and the pull policy back to Kubernetes' default.
            assert.deepEqual(tableRows, CATALOGUE.map((name) => `| ~ update | \`kubernetes:apps/v1:Deployment\` | \`${name}\` | ` +
                "`spec.template.spec.containers[0].image`<br>`spec.template.spec.containers[0].imagePullPolicy` |"));
            assert.deepEqual(Object.keys(preview.counts).filter((op) => op !== "same"), ["update"]);
            assert.deepEqual(preview.policyPacks, [{ name: "rollout-stacks", version: POLICY_PACK_VERSION, local: true }]);
            assert.equal(lines.at(-2), `**Policy packs:** \`rollout-stacks\` ${POLICY_PACK_VERSION} (local): no violations`);
            assert.deepEqual(await deployments(namespace), live);
            assert.deepEqual(await pendingChanges(stackName), {}, "pr preview must put the stack's config back");

            // restart: one new ReplicaSet per Deployment, and the program reports the new deployedAt;
            // the bot names the stack on every command and leaves the checkout's current stack alone.
            const setsBefore = await replicaSetCounts(namespace);
            await unselectStack();
            const restart = succeeded<RestartResult>(await bot("restart", stackName));
            assert.equal(await currentStack(), undefined, "restart must not select the stack in the user's checkout");
            assert.match(restart.deployedAt, RFC3339_SECONDS);
            assert.equal(restart.lastDeployedAt, restart.deployedAt);
            assert.deepEqual(restart.changes, { same: restart.changes.same, update: 4 });
            assert.deepEqual(await replicaSetCounts(namespace), plus(setsBefore, 1));
            for (const [name, d] of Object.entries(await deployments(namespace))) {
                assert.equal(d.restartedAt, restart.deployedAt, `${name} restartedAt`);
                assert.equal(d.available, 1, `${name} is not Available after the restart`);
            }

            // A bad value the bot cannot judge itself reaches the program, which refuses it with its key.
            const versions = await resourceVersions(namespace);
            const config = await (await selectStack(stackName)).getAllConfig();
            const refused = failed(await bot("pr", "up", String(pr), "--image-tag", "pr-950", "--services", "cart-service,basket-service"), 3);
            assert.match(refused.error, /rollout-stacks:pr\.services\[1\]: no service named basket-service/);
            assert.deepEqual(await resourceVersions(namespace), versions);
            assert.deepEqual(await (await selectStack(stackName)).getAllConfig(), config, "a refused config must be put back");
            // A bad image tag never gets that far: the bot refuses it as bad usage.
            assert.match(failed(await bot("pr", "up", String(pr), "--image-tag", "bad tag"), 2).error, /--image-tag 'bad tag'/);

            succeeded(await bot("pr", "pause", String(pr)));
            for (const [name, d] of Object.entries(await deployments(namespace))) {
                assert.equal(d.replicas, 0, `${name} is not paused`);
            }
            assert.ok(await cluster.namespaceExists(namespace), "pause must keep the namespace");

            succeeded(await bot("pr", "resume", String(pr)));
            allAvailable(await deployments(namespace));

            assert.deepEqual(succeeded<DownResult>(await bot("pr", "down", String(pr))), { stack: stackName, existed: true, removed: true });
            assert.ok(!(await stackNames()).includes(stackName), `${stackName} is still listed`);
            assert.ok(!fs.existsSync(settingsFile), `${settingsFile} is left behind`);
            await cluster.eventually(`namespace ${namespace} to go`, async () => (await cluster.namespaceExists(namespace)) ? undefined : true);

            assert.deepEqual(succeeded<DownResult>(await bot("pr", "down", String(pr))), { stack: stackName, existed: false, removed: false });
            failed(await bot("restart", stackName), 4);
            assert.ok(!fs.existsSync(settingsFile), "a command on a missing stack must not create its settings file");
        });
    });

    it("fails pr up on an image that never starts within pr.readyTimeout, naming why, with the old pods serving, and converges on the next tag", async () => {
        const pr = 952;
        const services = ["cart-service", "order-service"];
        const github = new FakeGitHub(GITHUB_TOKEN);
        const gitHubEnv = { GITHUB_TOKEN, GITHUB_REPOSITORY: REPOSITORY, GITHUB_API_URL: await github.start() };
        const up = (tag: string) => botWith(gitHubEnv, "pr", "up", String(pr), "--image-tag", tag, "--services", services.join(","), "--comment");
        /** Each service's ReplicaSets that have ready pods, by image: what serves. */
        const serving = async (namespace: string) => Object.fromEntries([...(await cluster.replicaSetsByDeployment(namespace))].map(([name, sets]) => [name,
            sets.filter((rs) => (rs.status?.readyReplicas ?? 0) > 0).map((rs) => rs.spec?.template?.spec?.containers[0]?.image)]));
        try {
            await withPr(pr, async () => {
                const good = succeeded<PrUpResult>(await up("pr-952-1a2b3c4"));
                const namespace = good.outputs.namespace;
                const goodImages = Object.fromEntries(services.map((name) => [name, [`ghcr.io/pilab-hu/${name}:pr-952-1a2b3c4`]]));
                assert.deepEqual(await serving(namespace), goodImages);

                // A human's pr.* setting, which the bot keeps: wait 15 s, not the default 5 minutes.
                const stack = await selectStack(`pr-${pr}`);
                const prConfig = JSON.parse((await stack.getConfig("rollout-stacks:pr")).value) as Record<string, unknown>;
                await stack.setConfig("rollout-stacks:pr", { value: JSON.stringify({ ...prConfig, readyTimeout: "15s" }) });

                for (const [tag, reason] of [["pr-952-bad-kwok-missing", "ImagePullBackOff"], ["pr-952-bad-kwok-crashing", "CrashLoopBackOff"]] as const) {
                    const started = Date.now();
                    const failure = failed(await up(tag), 6) as Failure & { readonly unreadyServices: readonly { service: string; image: string; reason: string }[] };
                    console.log(`      pr up of ${tag} failed after ${((Date.now() - started) / 1000).toFixed(1)} s (pr.readyTimeout 15s)`);
                    assert.deepEqual(failure.unreadyServices.map((u) => [u.service, u.image, u.reason]),
                        services.map((name) => [name, `ghcr.io/pilab-hu/${name}:${tag}`, reason]));
                    assert.match(failure.error, /^pr-952: 2 of 2 services did not become ready within pr\.readyTimeout \(15s\); the pods of the previous image keep serving:\n/);
                    assert.match(failure.error, new RegExp(`- cart-service \\(ghcr\\.io/pilab-hu/cart-service:${tag}\\): ${reason}`));
                    // The rolling update never took the old pods down: the first image still serves.
                    assert.deepEqual(await serving(namespace), goodImages);
                    const environment = readSections(github.commentsOf(REPOSITORY, pr)[0]!.body).get("environment") ?? "";
                    assert.match(environment, new RegExp(`\`pr up\` failed\\*\\* at .* for image tag \`${tag}\``));
                    assert.match(environment, new RegExp(`cart-service \\(ghcr\\.io/pilab-hu/cart-service:${tag}\\): ${reason}`));
                }

                // The next push with an image that starts converges with no other step.
                const fixed = succeeded<PrUpResult>(await up("pr-952-5d6e7f8"));
                assert.equal(fixed.outputs.namespace, namespace);
                allAvailable(await deployments(namespace), services);
                await cluster.eventually("the old ReplicaSets to scale down", async () => {
                    const now = await serving(namespace);
                    return JSON.stringify(now) === JSON.stringify(Object.fromEntries(services.map((name) => [name, [`ghcr.io/pilab-hu/${name}:pr-952-5d6e7f8`]]))) ? true : undefined;
                });
            });
        } finally {
            await github.stop();
        }
    });

    it("rolls the whole catalogue once per pushed commit and not again for the same one, and keeps one PR comment up to date", async () => {
        const pr = 960;
        const [first, second] = ["pr-960-1a2b3c4", "pr-960-5d6e7f8"];
        const all = [...catalogueNames()].sort();
        const imagesAt = (tag: string) => Object.fromEntries(all.map((name) => [name, `ghcr.io/pilab-hu/${name}:${tag}`]));
        const github = new FakeGitHub(GITHUB_TOKEN);
        const gitHubEnv = { GITHUB_TOKEN, GITHUB_REPOSITORY: REPOSITORY, GITHUB_API_URL: await github.start() };
        const push = (command: "up" | "preview", tag: string) => botWith(gitHubEnv, "pr", command, String(pr), "--image-tag", tag, "--comment");
        try {
            await withPr(pr, async () => {
                const up = succeeded<PrUpResult>(await push("up", first));
                const namespace = up.outputs.namespace;
                const live = await deployments(namespace);
                allAvailable(live, all);
                assert.deepEqual(await currentImages(namespace), imagesAt(first));
                for (const [name, d] of Object.entries(live)) {
                    assert.equal(d.pullPolicy, "IfNotPresent", `${name}: a per-commit tag needs no pull on every start`);
                    assert.equal(d.restartedAt, undefined, `${name}: a per-commit tag needs no restart`);
                }
                assert.equal(up.comment?.action, "created");

                // The PR check for the next commit: exactly the Deployments, and only their image.
                const preview = succeeded<PreviewResult>(await push("preview", second));
                const rows = preview.markdown.split("\n").filter((line) => line.startsWith("| ")).slice(2);
                assert.deepEqual(rows, all.map((name) => `| ~ update | \`kubernetes:apps/v1:Deployment\` | \`${name}\` | \`spec.template.spec.containers[0].image\` |`));
                assert.equal(preview.comment?.action, "updated");

                const sets = await replicaSetCounts(namespace);
                const next = succeeded<PrUpResult>(await push("up", second));
                assert.deepEqual(next.changes, { same: next.changes.same, update: all.length });
                assert.deepEqual(await replicaSetCounts(namespace), plus(sets, 1), "one new ReplicaSet per Deployment");
                assert.deepEqual(await currentImages(namespace), imagesAt(second));
                allAvailable(await deployments(namespace), all);

                const again = succeeded<PrUpResult>(await push("up", second));
                assert.deepEqual(Object.keys(again.changes), ["same"], "the same commit again changes nothing");
                assert.deepEqual(await replicaSetCounts(namespace), plus(sets, 1));

                // One comment, created by the first run and edited by every later one.
                const comments = github.commentsOf(REPOSITORY, pr);
                assert.equal(comments.length, 1);
                assert.deepEqual(github.writes().map((w) => `${w.method} ${w.path}`), [
                    `POST /repos/${REPOSITORY}/issues/${pr}/comments`,
                    ...Array(3).fill(`PATCH /repos/${REPOSITORY}/issues/comments/${comments[0]!.id}`),
                ]);
                const sections = readSections(comments[0]!.body);
                const environment = sections.get("environment") ?? "";
                assert.match(environment, /^\*\*URL:\*\* https:\/\/pr-960\.shop\.pilab\.hu$/m);
                assert.match(environment, /all services ready/);
                for (const name of all) {
                    assert.ok(environment.includes(`| \`${name}\` | \`ghcr.io/pilab-hu/${name}:${second}\` | ready (1/1 ready) |`), `${name} in:\n${environment}`);
                }
                assert.match(sections.get("preview") ?? "", /^### Pulumi preview of `pr-960`/);
            });
        } finally {
            await github.stop();
        }
    });

    it("lets one of two concurrent restarts through, serialises them with --wait-lock, and reaps an idle stack: pause, then destroy", async () => {
        const pr = 951;
        const stackName = `pr-${pr}`;
        await withPr(pr, async () => {
            const namespace = succeeded<PrUpResult>(await bot("pr", "up", String(pr), "--image-tag", "pr-951", "--services", SERVICES)).outputs.namespace;
            // The mutable tag pr-<n> may name a new build on every push: each pr up restarts, and pulls again.
            const pushed = await replicaSetCounts(namespace);
            const again = succeeded<PrUpResult>(await bot("pr", "up", String(pr), "--image-tag", "pr-951"));
            assert.equal(again.changes.update, CATALOGUE.length);
            assert.deepEqual(await replicaSetCounts(namespace), plus(pushed, 1));
            for (const [name, d] of Object.entries(await deployments(namespace))) {
                assert.equal(d.pullPolicy, "Always", `${name} must pull its mutable tag again on restart`);
            }

            // Without --wait-lock the second restart changes nothing and says so.
            let sets = await replicaSetCounts(namespace);
            const racing = await Promise.all([bot("restart", stackName), bot("restart", stackName)]);
            assert.deepEqual(racing.map((run) => run.code).sort(), [0, 5], racing.map((run) => run.stderr).join("\n"));
            const winner = succeeded<RestartResult>(racing.find((run) => run.code === 0)!);
            const loser = failed(racing.find((run) => run.code === 5)!, 5);
            assert.match(loser.error, /another update is running on this stack, so nothing was changed/);
            assert.match(loser.error, /--wait-lock/);
            assert.equal(winner.lastDeployedAt, winner.deployedAt);
            assert.deepEqual(await replicaSetCounts(namespace), plus(sets, 1));
            assert.deepEqual(stackLocks(stackName), [], `${stackName} is still locked`);
            assert.equal((await (await selectStack(stackName)).getConfig("rollout-stacks:deployedAt")).value, winner.deployedAt,
                "the stack's config must hold what the winner deployed");
            assert.deepEqual(await pendingChanges(stackName), {});

            // An update from elsewhere holds the engine's lock: the restart changes nothing, and its config write is undone.
            const config = await (await selectStack(stackName)).getAllConfig();
            const foreignLock = lockFromElsewhere(stackName);
            try {
                const blocked = failed(await bot("restart", stackName), 5);
                assert.match(blocked.error, /another update is running on this stack, so nothing was changed/);
                assert.match(blocked.error, /created by ci@runner \(pid 4242\)/);
            } finally {
                fs.rmSync(foreignLock, { force: true });
            }
            assert.deepEqual(await (await selectStack(stackName)).getAllConfig(), config);

            // With --wait-lock the second waits for the first, then restarts again.
            sets = await replicaSetCounts(namespace);
            const queued = await Promise.all([bot("restart", stackName, "--wait-lock", "5m"), bot("restart", stackName, "--wait-lock", "5m")]);
            const [first, second] = queued.map((run) => succeeded<RestartResult>(run)).sort((a, b) => a.deployedAt.localeCompare(b.deployedAt));
            assert.ok(first!.deployedAt < second!.deployedAt, `two restarts, two deployedAt values: ${first!.deployedAt}, ${second!.deployedAt}`);
            assert.deepEqual([first!.changes.update, second!.changes.update], [4, 4]);
            assert.deepEqual(await replicaSetCounts(namespace), plus(sets, 2));
            assert.deepEqual(Object.values(await deployments(namespace)).map((d) => d.restartedAt), CATALOGUE.map(() => second!.deployedAt));
            assert.deepEqual(stackLocks(stackName), [], `${stackName} is still locked`);
            assert.deepEqual(await pendingChanges(stackName), {});

            // The reaper: a dry run names the stack and leaves it alone; --yes pauses it.
            const history = (await (await selectStack(stackName)).history()).length;
            const dryRun = succeeded<ReapResult>(await bot("pr", "reap", "--idle", "1ms"));
            assert.equal(dryRun.dryRun, true);
            assert.deepEqual(reaping(dryRun, stackName), [["pause", "dry run"]]);
            assert.equal((await (await selectStack(stackName)).history()).length, history, "a dry run must not update the stack");
            allAvailable(await deployments(namespace));

            // Acting blind to the PRs' labels could destroy a PR that asked to be kept: refused.
            assert.match(failed(await bot("pr", "reap", "--idle", "1ms", "--yes"), 2).error, /GITHUB_TOKEN is not set/);
            // Labelled keep-environment on GitHub, the PR is kept however long it idles.
            const github = new FakeGitHub(GITHUB_TOKEN);
            const gitHubEnv = { GITHUB_TOKEN, GITHUB_REPOSITORY: REPOSITORY, GITHUB_API_URL: await github.start() };
            let reaped: ReapResult;
            try {
                github.addPullRequest(REPOSITORY, pr, ["keep-environment"]);
                const kept = succeeded<ReapResult>(await botWith(gitHubEnv, "pr", "reap", "--idle", "1ms", "--destroy-after", "2ms", "--yes"));
                assert.deepEqual(reaping(kept, stackName), [["keep", "kept"]]);
                allAvailable(await deployments(namespace));
                github.addPullRequest(REPOSITORY, pr, []);
                reaped = succeeded<ReapResult>(await botWith(gitHubEnv, "pr", "reap", "--idle", "1ms", "--yes"));
            } finally {
                await github.stop();
            }
            assert.equal(reaped.dryRun, false);
            assert.deepEqual(reaping(reaped, stackName), [["pause", "done"]]);
            for (const [name, d] of Object.entries(await deployments(namespace))) {
                assert.equal(d.replicas, 0, `${name} is not paused by the reaper`);
            }
            assert.ok(await cluster.namespaceExists(namespace), "the reaper's pause must keep the namespace");

            // Its own pause is no activity: idle past --destroy-after, the stack is destroyed and removed.
            const destroyed = succeeded<ReapResult>(await bot("pr", "reap", "--idle", "1ms", "--destroy-after", "2ms", "--keep-label", "", "--yes"));
            assert.deepEqual(reaping(destroyed, stackName), [["destroy", "done"]]);
            assert.ok(!(await stackNames()).includes(stackName), `${stackName} is still listed after the reaper destroyed it`);
            await cluster.eventually(`namespace ${namespace} to go`, async () => (await cluster.namespaceExists(namespace)) ? undefined : true);
        });
    });

    it("undoes a promoted release within the rollback window straight to Healthy, skipping the steps", async () => {
        const stackName = "env-e2e-window";
        const image = (tag: string) => `ghcr.io/pilab-hu/cart-service:${tag}`;
        const services = [{ name: "cart-service", image: "ghcr.io/pilab-hu/cart-service", port: 8080, replicas: 4 }];
        // Indefinite pauses: a walk through the steps would stop at the first one and wait for a person.
        const steps = [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
        const config = { services, imageTag: "v1", environment: { name: "e2e-window", strategy: { canary: { steps } }, rollbackWindow: 2 } };
        // --notify's Slack-compatible webhook, on the loopback address.
        const receiver = await WebhookReceiver.start();
        const notifying = { ROLLOUT_BOT_NOTIFY_URL: `${receiver.url}/chat` };
        await withStack(stackName, config, async (stack) => {
            await stack.up();
            const cartOf = (run: BotRun) => succeeded<RolloutsResult>(run).rollouts[0]!;
            const settled = (phase: string) => cluster.eventually(`cart-service to be ${phase}`, async () => {
                const summary = cartOf(await bot("status", stackName, "cart-service"));
                return summary.phase === phase ? summary : undefined;
            }, 180_000);

            // The release plan a PR that edits the stack's config gets: one Rollout, its image from and to.
            await stack.setConfig("rollout-stacks:images", { value: JSON.stringify({ "cart-service": image("v2") }) });
            const planned = succeeded<{ markdown: string; rollouts: readonly { service: string; change: string }[] }>(await bot("env", "preview", stackName, "--markdown"));
            assert.deepEqual(planned.rollouts, [{ service: "cart-service", change: "release", from: image("v1"), to: image("v2"), fields: [] }]);
            assert.match(planned.markdown, new RegExp(`\\| \`cart-service\` \\| new image: \`${image("v1").replace(/\./g, "\\.")}\` → \`${image("v2").replace(/\./g, "\\.")}\` \\|`));
            assert.match(planned.markdown, /\*\*Strategy:\*\* canary: 25 % → pause until promoted → 50 % → pause until promoted → 100 %; each release waits for a person to promote\./);
            await stack.removeConfig("rollout-stacks:images");

            assert.equal(cartOf(await botWith(notifying, "release", stackName, "--image", `cart-service=${image("v2")}`, "--wait", "--timeout", "3m", "--notify")).step, "1/4");
            succeeded(await bot("promote", stackName, "cart-service", "--full"));
            await settled("Healthy");

            // v1 is one of the last 2 revisions: no step, no pause, straight back.
            const undone = succeeded<UndoResult>(await botWith(notifying, "undo", stackName, "cart-service", "--wait", "--timeout", "3m", "--notify"));
            assert.deepEqual([undone.from, undone.to], [image("v2"), null]);
            assert.deepEqual(undone.rollouts.map((r) => [r.phase, r.images, r.replicas.updated]), [["Healthy", [image("v1")], 4]]);
            const failedRelease = failed(await botWith(notifying, "release", stackName, "--image", "nope-service=ghcr.io/pilab-hu/nope:v1", "--notify"), 3);
            // One line per command, as Slack shows it: what happened, or what failed and why.
            assert.deepEqual(receiver.requests.map((r) => [r.path, (r.json as { text: string }).text]), [
                ["/chat", `released cart-service=${image("v2")} to ${stackName}`],
                ["/chat", `cart-service in ${stackName} is back at the stack's imageTag (was ${image("v2")})`],
                ["/chat", `rollout-bot release ${stackName} failed (exit 3): ${failedRelease.error.split("\n")[0]}`],
            ]);
        }, env).finally(() => receiver.stop());
    });

    it("releases a canary with --wait, promotes it, aborts, retries and aborts the next, and undoes it by config", async () => {
        const stackName = "env-e2e-bot";
        const image = (tag: string) => `ghcr.io/pilab-hu/cart-service:${tag}`;
        const services = ["cart-service", "order-service"].map((name) => ({ name, image: `ghcr.io/pilab-hu/${name}`, port: 8080, replicas: 5 }));
        const steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
        const config = { services, imageTag: "v1", environment: { name: "e2e-bot", strategy: { canary: { steps } } } };
        await withStack(stackName, config, async (stack) => {
            await stack.up();

            const cartOf = (run: BotRun) => succeeded<RolloutsResult>(run).rollouts[0]!;
            const release = (tag: string, ...more: string[]) => bot("release", stackName, "--image", `cart-service=${image(tag)}`, "--wait", "--timeout", "3m", ...more);
            const settled = (phase: string) => cluster.eventually(`cart-service to be ${phase}`, async () => {
                const summary = cartOf(await bot("status", stackName, "cart-service"));
                return summary.phase === phase ? summary : undefined;
            }, 180_000);

            // The gate on a long-lived stack: told this stack is production, the pack refuses its
            // analysis-free canary (exit 8), and the release changes nothing, config included.
            const production = path.join(path.dirname(basePack.dir), "production.json");
            fs.writeFileSync(production, JSON.stringify({ "prod-rollout-analysis": { productionStacks: [stackName] } }));
            const refused = failed(await release("v2", "--policy-pack", basePack.dir, "--policy-pack-config", production), 8);
            assert.match(refused.error, /^a policy pack refused the update \(\d mandatory violations?\); nothing was changed:\n {2}- rollout-stacks\/prod-rollout-analysis on e2e-bot-\S+-rollout: [\s\S]*has no analysis step/);
            assert.equal((await stack.getAllConfig())["rollout-stacks:images"], undefined, "the refused release's image must not stay in the config");
            assert.deepEqual(cartOf(await bot("status", stackName, "cart-service")).images, [image("v1")]);

            // The same pack passes a conforming stack: not production, so no analysis step is required.
            const paused = cartOf(await release("v2", "--policy-pack", basePack.dir));
            assert.equal(paused.phase, "Paused");
            assert.equal(paused.step, "1/4", "paused at the pause after setWeight 20, as `kubectl argo rollouts get` shows it");
            assert.deepEqual(paused.images, [image("v2")]);
            assert.deepEqual([paused.setWeight, paused.replicas.updated], [20, 1], "one pod of five on v2");

            succeeded(await bot("promote", stackName, "cart-service", "--full"));
            const promoted = await settled("Healthy");
            assert.deepEqual([promoted.images, promoted.replicas.updated], [[image("v2")], 5]);

            assert.equal(cartOf(await release("v3")).phase, "Paused");
            succeeded(await bot("abort", stackName, "cart-service"));
            assert.equal((await settled("Degraded")).aborted, true);

            succeeded(await bot("retry", stackName, "cart-service"));
            const retried = await settled("Paused");
            assert.equal(retried.aborted, false);
            assert.deepEqual([retried.images, retried.setWeight], [[image("v3")], 20]);

            succeeded(await bot("abort", stackName, "cart-service"));
            await settled("Degraded");
            const undone = succeeded<UndoResult>(await bot("undo", stackName, "cart-service", "--wait", "--timeout", "3m"));
            assert.deepEqual([undone.from, undone.to], [image("v3"), image("v2")]);
            assert.deepEqual(undone.rollouts.map((r) => [r.name, r.phase]), [["cart-service", "Healthy"]], "undo --wait follows the rollback to Healthy");
            const back = await settled("Healthy");
            assert.deepEqual([back.images, back.replicas.updated, back.aborted], [[image("v2")], 5, false]);

            // An image that never starts: --wait and status say why, from the pods, and undo goes back.
            const stuck = failed(await bot("release", stackName, "--image", `cart-service=${image("v5-kwok-missing")}`, "--wait", "--timeout", "25s"), 6);
            assert.match(stuck.error, new RegExp(`^cart-service did not settle within 25s; it was last Progressing at step 0/4 \\(pods of the new revision: ` +
                `ImagePullBackOff on ${image("v5-kwok-missing").replace(/\./g, "\\.")}: Back-off pulling image`));
            const seen = cartOf(await bot("status", stackName, "cart-service"));
            assert.deepEqual(seen.podFailure?.reason, "ImagePullBackOff");
            const rescued = succeeded<UndoResult>(await bot("undo", stackName, "cart-service", "--wait", "--timeout", "3m"));
            assert.deepEqual([rescued.from, rescued.to], [image("v5-kwok-missing"), image("v2")]);
            assert.deepEqual((await settled("Healthy")).images, [image("v2")]);

            // The undo is in the config, so the next plain `pulumi up` keeps it.
            const images = JSON.parse((await stack.getConfig("rollout-stacks:images")).value) as Record<string, string>;
            assert.equal(images["cart-service"], image("v2"));
            const next = await stack.preview();
            // The stack's read of its own last outputs (notifications' previous image) changes nothing.
            assert.deepEqual(Object.keys(next.changeSummary).filter((op) => op !== "same" && op !== "read"), [], JSON.stringify(next.changeSummary));

            // history: each release of the service, newest first, with what made it; undo --to takes its update numbers.
            const { releases } = succeeded<{ releases: readonly { update: number; image?: string; imageTag?: string; result: string; by: string }[] }>(
                await bot("history", stackName, "cart-service", "--limit", "20"));
            assert.deepEqual(releases.map((r) => [r.image ?? `imageTag ${r.imageTag}`, r.result, r.by]), [
                [image("v2"), "succeeded", `rollout-bot undo cart-service: ${image("v5-kwok-missing")} -> ${image("v2")}`],
                [image("v5-kwok-missing"), "succeeded", `rollout-bot release cart-service=${image("v5-kwok-missing")}`],
                [image("v2"), "succeeded", `rollout-bot undo cart-service: ${image("v3")} -> ${image("v2")}`],
                [image("v3"), "succeeded", `rollout-bot release cart-service=${image("v3")}`],
                [image("v2"), "succeeded", `rollout-bot release cart-service=${image("v2")}`],
                ["imageTag v1", "succeeded", releases.at(-1)!.by],
            ]);
            const first = releases.at(-1)!.update;
            const toFirst = succeeded<UndoResult>(await bot("undo", stackName, "cart-service", "--to", String(first), "--wait", "--timeout", "3m"));
            assert.deepEqual([toFirst.from, toFirst.to], [image("v2"), null], "back to the stack's imageTag: the override is removed");
            // v1 is no revision this Rollout keeps in a rollback window: the canary walks its steps again.
            assert.deepEqual(toFirst.rollouts.map((r) => [r.phase, r.step, r.images]), [["Paused", "1/4", [image("v1")]]]);
            succeeded(await bot("promote", stackName, "cart-service", "--full"));
            assert.deepEqual((await settled("Healthy")).images, [image("v1")]);
            const never = failed(await bot("undo", stackName, "cart-service", "--to", image("v4")), 1);
            assert.match(never.error, /no succeeded update ran cart-service at .*:v4; `history` lists the updates/);
        }, env);
    });
});
