import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { catalogueNames, REPO_ROOT } from "../support/projectConfig";
import {
    changesByOp, cleanUp, engineEnv, openStack, removeEmptyStateSidecar, setContractConfig, stepRecorder, withStack,
} from "./support/engine";
import { Cluster, restartedAt } from "./support/kube";

/** The whole shop, for the first scenario; the others deploy four services (`pr.services`) to stay quick. */
const ALL = [...catalogueNames()].sort();
const CATALOGUE = ["cart-service", "order-service", "payment-service", "product-service"];

/** One backend of each kind of reach: an in-cluster Service, an IP address, a name outside the cluster. */
const BACKENDS = { mongodb: "mongodb://app:e2e@mongo.shared.svc:27017", nats: "nats://10.96.7.7:4222", redis: "redis://cache.example.com:6380" };
const BACKEND_NETWORKS = { redis: ["10.20.0.0/16", "2001:db8::/32"] };

/**
 * The mission's promise on the real Pulumi CLI, Kubernetes provider and API server: a new
 * deployedAt updates exactly the Deployments, replaces nothing, and rolls them.
 */
describe("PR stack on the real engine", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);

    async function namespaceOf(stack: Stack): Promise<string> {
        return (await stack.outputs()).namespace!.value as string;
    }

    async function templateRestarts(namespace: string): Promise<Record<string, string | undefined>> {
        return Object.fromEntries((await cluster.deployments(namespace)).map((d) => [d.metadata!.name!, restartedAt(d)]));
    }

    async function replicaSetCounts(namespace: string): Promise<Record<string, number>> {
        const byDeployment = await cluster.replicaSetsByDeployment(namespace);
        return Object.fromEntries([...byDeployment].map(([name, sets]) => [name, sets.length]).sort());
    }

    async function previewChanges(stack: Stack): Promise<Record<string, string[]>> {
        const recorder = stepRecorder();
        await stack.preview({ onEvent: recorder.onEvent });
        return changesByOp(recorder.steps);
    }

    it(`deploys the namespace, all ${ALL.length} services as Available Deployments, Services, Ingress, quota and policies`, async () => {
        await withStack("pr-901", { pr: { number: 901 }, backends: BACKENDS, backendNetworks: BACKEND_NETWORKS }, async (stack) => {
            const up = await stack.up();
            assert.equal(up.summary.result, "succeeded");
            const namespace = up.outputs.namespace!.value as string;
            assert.equal(namespace, "pr-901-shop-pilab-hu");
            assert.equal(up.outputs.url!.value, "https://pr-901.shop.pilab.hu");

            const deployments = await cluster.deployments(namespace);
            assert.deepEqual(deployments.map((d) => d.metadata!.name).sort(), ALL);
            for (const d of deployments) {
                assert.equal(d.status?.availableReplicas, 1, `${d.metadata!.name} is not Available`);
                assert.ok(d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True"));
            }
            const services = (await cluster.core.listNamespacedService({ namespace })).items;
            assert.deepEqual(services.map((s) => s.metadata!.name).sort(), ALL);
            const ingress = await cluster.networking.readNamespacedIngress({ name: "web", namespace });
            assert.equal(ingress.spec?.rules?.[0]?.host, "pr-901.shop.pilab.hu");
            // The quota controller counts pods on its own schedule, after the Deployments are Available.
            await cluster.eventually(`the quota to count the ${ALL.length} pods`, async () => {
                const quota = await cluster.core.readNamespacedResourceQuota({ name: "quota", namespace });
                return quota.status?.used?.pods === String(ALL.length) ? true : undefined;
            });
            const policies = (await cluster.networking.listNamespacedNetworkPolicy({ namespace })).items;
            assert.deepEqual(policies.map((p) => p.metadata!.name).sort(),
                ["allow-backends", "allow-dns", "allow-ingress-controller", "allow-same-namespace", "default-deny"]);
            // Egress to each backend where it is, as the API server stored it: never 0.0.0.0/0 unasked.
            const backendEgress = policies.find((p) => p.metadata!.name === "allow-backends")!.spec!.egress!;
            assert.deepEqual(backendEgress.map((rule) => [
                rule.to!.map((peer) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? peer.ipBlock?.cidr),
                rule.ports!.map((p) => p.port),
            ]), [[["shared"], [27017]], [["10.96.7.7/32"], [4222]], [["10.20.0.0/16", "2001:db8::/32"], [6380]]]);
            const labels = (await cluster.core.readNamespace({ name: namespace })).metadata?.labels ?? {};
            assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
        });
        assert.equal(await cluster.eventually("namespace pr-901 to go", async () => (await cluster.namespaceExists("pr-901-shop-pilab-hu")) ? undefined : true), true);
    });

    it("rolls every Deployment once for a new deployedAt and does nothing for the same one", async () => {
        await withStack("pr-902", { pr: { number: 902, services: CATALOGUE } }, async (stack) => {
            await stack.up();
            const namespace = await namespaceOf(stack);
            const before = await replicaSetCounts(namespace);

            const deployedAt = "2025-01-15T14:30:00Z";
            await setContractConfig(stack, { pr: { number: 902, services: CATALOGUE }, deployedAt });
            assert.deepEqual(await previewChanges(stack), { update: Array(4).fill("kubernetes:apps/v1:Deployment") });

            const up = await stack.up();
            assert.deepEqual(up.summary.resourceChanges, { same: up.summary.resourceChanges!.same, update: 4 });
            assert.equal(up.outputs.lastDeployedAt!.value, deployedAt);
            assert.deepEqual(await templateRestarts(namespace), Object.fromEntries(CATALOGUE.map((name) => [name, deployedAt])));
            const after = await replicaSetCounts(namespace);
            assert.deepEqual(after, Object.fromEntries(Object.entries(before).map(([name, count]) => [name, count + 1])));

            assert.deepEqual(await previewChanges(stack), {});
            const again = await stack.up();
            assert.equal(again.summary.resourceChanges?.update, undefined);
            assert.deepEqual(await replicaSetCounts(namespace), after);
        });
    });

    it("pauses to 0 replicas, holds a new deployedAt while paused, and restarts once on resume", async () => {
        const first = "2025-01-15T14:30:00Z";
        const second = "2025-01-16T09:00:00Z";
        await withStack("pr-903", { pr: { number: 903, services: CATALOGUE }, deployedAt: first }, async (stack) => {
            await stack.up();
            const namespace = await namespaceOf(stack);

            await setContractConfig(stack, { pr: { number: 903, services: CATALOGUE }, deployedAt: first, active: false });
            await stack.up();
            for (const d of await cluster.deployments(namespace)) {
                assert.equal(d.spec?.replicas, 0);
            }
            assert.ok(await cluster.namespaceExists(namespace));
            const pausedSets = await replicaSetCounts(namespace);

            await setContractConfig(stack, { pr: { number: 903, services: CATALOGUE }, deployedAt: second, active: false });
            const held = await stack.up();
            assert.equal(held.summary.resourceChanges?.update, undefined, "a held restart must not touch the Deployments");
            assert.equal(held.outputs.lastDeployedAt!.value, first);
            assert.deepEqual(await templateRestarts(namespace), Object.fromEntries(CATALOGUE.map((name) => [name, first])));
            assert.deepEqual(await replicaSetCounts(namespace), pausedSets);

            await setContractConfig(stack, { pr: { number: 903, services: CATALOGUE }, deployedAt: second });
            const resumed = await stack.up();
            assert.equal(resumed.outputs.lastDeployedAt!.value, second);
            for (const d of await cluster.deployments(namespace)) {
                assert.equal(d.spec?.replicas, 1);
                assert.equal(d.status?.availableReplicas, 1);
                assert.equal(restartedAt(d), second);
            }
            const resumedSets = await replicaSetCounts(namespace);
            assert.deepEqual(resumedSets, Object.fromEntries(Object.entries(pausedSets).map(([name, count]) => [name, count + 1])));
        });
    });

    it("fails an up on a bad config value with its key and leaves the cluster as it was", async () => {
        await withStack("pr-904", { pr: { number: 904, services: CATALOGUE } }, async (stack) => {
            await stack.up();
            const namespace = await namespaceOf(stack);
            const versions = (await cluster.deployments(namespace)).map((d) => d.metadata!.resourceVersion);

            await setContractConfig(stack, { pr: { number: 904, services: CATALOGUE }, deployedAt: "Wed Jan 15 14:30:00 UTC 2025" });
            await assert.rejects(stack.up(), (error: Error) => /rollout-stacks:deployedAt/.test(error.message) && /RFC3339 UTC/.test(error.message));
            assert.deepEqual((await cluster.deployments(namespace)).map((d) => d.metadata!.resourceVersion), versions);
        });
    });

    it("does not fight a kubectl rollout restart made by hand between two ups", async () => {
        await withStack("pr-905", { pr: { number: 905, services: CATALOGUE }, deployedAt: "2025-01-15T14:30:00Z" }, async (stack) => {
            await stack.up();
            const namespace = await namespaceOf(stack);
            await kubectl(["rollout", "restart", "deployment/cart-service", "-n", namespace]);
            await cluster.eventually("the manual restart to roll out", async () => {
                const cart = (await cluster.deployments(namespace)).find((d) => d.metadata!.name === "cart-service");
                return cart?.status?.updatedReplicas === 1 && cart.status.availableReplicas === 1 && restartedAt(cart) !== "2025-01-15T14:30:00Z" ? true : undefined;
            });
            const manual = await templateRestarts(namespace);
            const sets = await replicaSetCounts(namespace);

            const same = await stack.up();
            assert.equal(same.summary.result, "succeeded");
            assert.deepEqual(await templateRestarts(namespace), manual, "an unchanged deployedAt must leave the manual restart alone");
            assert.deepEqual(await replicaSetCounts(namespace), sets);

            await setContractConfig(stack, { pr: { number: 905, services: CATALOGUE }, deployedAt: "2025-01-16T09:00:00Z" });
            const next = await stack.up();
            assert.equal(next.summary.resourceChanges?.update, 4);
            assert.deepEqual(await templateRestarts(namespace), Object.fromEntries(CATALOGUE.map((name) => [name, "2025-01-16T09:00:00Z"])));
        });
    });

    it("converges after an up killed mid-update, with nothing orphaned", async () => {
        const stackName = "pr-906";
        const stack = await openStack(stackName, { pr: { number: 906, services: CATALOGUE } });
        let failure: unknown;
        try {
            await killUpOnceNamespaceExists(stackName, "pr-906-shop-pilab-hu");
            // The recovery the bot prints (bot/errors.ts): when the kill hit a state write, the
            // empty .attrs sidecar goes first; then cancel, refresh and up.
            removeEmptyStateSidecar(stackName);
            await stack.cancel().catch(() => undefined);
            await stack.refresh({ clearPendingCreates: true });
            const up = await stack.up();
            assert.equal(up.summary.result, "succeeded");

            const state = await stack.exportStack();
            const managed = new Set((state.deployment.resources ?? [])
                .filter((r: { type: string }) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:core/v1:Service")
                .map((r: { type: string; outputs: { metadata: { name: string } } }) => `${r.type.split(":")[2]}/${r.outputs.metadata.name}`));
            const live = [
                ...(await cluster.deployments("pr-906-shop-pilab-hu")).map((d) => `Deployment/${d.metadata!.name}`),
                ...(await cluster.core.listNamespacedService({ namespace: "pr-906-shop-pilab-hu" })).items.map((s) => `Service/${s.metadata!.name}`),
            ];
            assert.deepEqual([...managed].sort(), live.sort());
            assert.equal(live.length, 8);
        } catch (error) {
            failure = error;
            throw error;
        } finally {
            await cleanUp(stack, stackName, failure);
        }
        assert.equal(await cluster.eventually("namespace pr-906 to go", async () => (await cluster.namespaceExists("pr-906-shop-pilab-hu")) ? undefined : true), true);
    });

    /** Starts `pulumi up` as a user would and SIGKILLs it once it has created the namespace. */
    async function killUpOnceNamespaceExists(stackName: string, namespace: string): Promise<void> {
        const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stackName], {
            cwd: REPO_ROOT, env: { ...process.env, ...engineEnv() }, stdio: "ignore",
        });
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        await cluster.eventually(`namespace ${namespace} from the up`, async () => (await cluster.namespaceExists(namespace)) ? true : undefined, 300_000);
        child.kill("SIGKILL");
        assert.equal(await exited, null, "the up finished before it could be interrupted");
    }
});

function kubectl(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn("kubectl", args, { env: { ...process.env, ...engineEnv() }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(" ")}: ${stderr}`))));
    });
}
