import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PolicyEvent, Stack } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../support/projectConfig";
import { changesByOp, engineEnv, setContractConfig, stepRecorder, withStack } from "./support/engine";
import { Cluster } from "./support/kube";

const NAMESPACE = "e2e-canary";
const SERVICES = [
    { name: "cart-service", image: "ghcr.io/pilab-hu/cart-service", port: 8080, replicas: 5 },
    { name: "order-service", image: "ghcr.io/pilab-hu/order-service", port: 8080, replicas: 5 },
];
/** Replica-ratio canary (no traffic router here): 20 % of 5 replicas is one pod. */
const STRATEGY = { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }] } };

function environmentConfig(images: Record<string, string> = {}): Record<string, unknown> {
    return { services: SERVICES, imageTag: "v1", images, environment: { name: NAMESPACE, strategy: STRATEGY } };
}

/**
 * A release on the real Argo Rollouts controller: the config diff touches one Rollout, the
 * controller walks the canary, and promote and abort work as the kubectl plugin does them.
 */
describe("canary environment on the real rollouts controller", () => {
    const cluster = new Cluster(engineEnv().KUBECONFIG);

    const rollout = (name: string) => cluster.rollout(NAMESPACE, name);
    const phaseOf = (name: string, phase: string) => cluster.rolloutPhase(NAMESPACE, name, phase);
    const replicaSets = (name: string) => cluster.rolloutReplicaSets(NAMESPACE, name);

    async function release(stack: Stack, image: string): Promise<void> {
        await setContractConfig(stack, environmentConfig({ "cart-service": image }));
        await stack.up();
    }

    it("releases one service through the canary steps, promotes it, aborts the next and releases again", async () => {
        await withStack("env-e2e-canary", environmentConfig(), async (stack) => {
            await stack.up();
            for (const service of SERVICES) {
                await phaseOf(service.name, "Healthy");
            }

            await setContractConfig(stack, environmentConfig({ "cart-service": "ghcr.io/pilab-hu/cart-service:v2" }));
            const recorder = stepRecorder();
            await stack.preview({ onEvent: recorder.onEvent });
            assert.deepEqual(changesByOp(recorder.steps), { update: ["kubernetes:argoproj.io/v1alpha1:Rollout"] });
            assert.match(recorder.steps.find((step) => step.op === "update")!.urn, /cart-service/);

            await stack.up();
            const paused = await phaseOf("cart-service", "Paused");
            assert.equal(paused.currentStepIndex, 1);
            const canary = (await replicaSets("cart-service")).get(paused.currentPodHash!);
            assert.deepEqual(canary, { replicas: 1, image: "ghcr.io/pilab-hu/cart-service:v2" });
            assert.equal((await rollout("order-service")).status.phase, "Healthy", "a release of one service leaves the others alone");

            await plugin("promote", "cart-service", "--full");
            const promoted = await phaseOf("cart-service", "Healthy");
            assert.equal(promoted.stableRS, promoted.currentPodHash);
            assert.equal((await replicaSets("cart-service")).get(promoted.stableRS!)?.image, "ghcr.io/pilab-hu/cart-service:v2");

            await release(stack, "ghcr.io/pilab-hu/cart-service:v3");
            await phaseOf("cart-service", "Paused");
            await plugin("abort", "cart-service");
            const aborted = await phaseOf("cart-service", "Degraded");
            assert.equal(aborted.abort, true);
            const stable = (await replicaSets("cart-service")).get(aborted.stableRS!);
            assert.deepEqual(stable, { replicas: 5, image: "ghcr.io/pilab-hu/cart-service:v2" });

            await release(stack, "ghcr.io/pilab-hu/cart-service:v4");
            const next = await phaseOf("cart-service", "Paused");
            assert.equal(next.currentStepIndex, 1);
            assert.equal((await replicaSets("cart-service")).get(next.currentPodHash!)?.image, "ghcr.io/pilab-hu/cart-service:v4");
        });
    });

    it("fails the preview of a production canary without an analysis step on the policy pack", async () => {
        const stackName = "env-e2e-policy";
        const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-stacks-policy-"));
        const packConfig = path.join(configDir, "policy-config.json");
        // This stack counts as production, so its analysis-free canary must be refused.
        fs.writeFileSync(packConfig, JSON.stringify({ "prod-rollout-analysis": { productionStacks: [stackName] } }));
        try {
            await withStack(stackName, environmentConfig(), async (stack) => {
                const violations: PolicyEvent[] = [];
                await assert.rejects(stack.preview({
                    policyPacks: [path.join(REPO_ROOT, "policy")],
                    policyPackConfigs: [packConfig],
                    onEvent: (event) => {
                        if (event.policyEvent !== undefined) {
                            violations.push(event.policyEvent);
                        }
                    },
                }), /mandatory|polic/i);
                assert.deepEqual(violations.map((v) => [v.policyPackName, v.policyName, v.enforcementLevel, v.resourceUrn?.split("::").pop()]).sort(), [
                    ["rollout-stacks", "prod-rollout-analysis", "mandatory", "e2e-canary-cart-service-rollout"],
                    ["rollout-stacks", "prod-rollout-analysis", "mandatory", "e2e-canary-order-service-rollout"],
                ]);
                assert.match(violations[0]!.message, /has no analysis step/);
            });
        } finally {
            fs.rmSync(configDir, { recursive: true, force: true });
        }
    });

    /** The Argo Rollouts kubectl plugin, built by the toolchain: the client operators use. */
    function plugin(...args: string[]): Promise<void> {
        return new Promise((resolve, reject) => {
            const child = spawn("kubectl-argo-rollouts", [...args, "-n", NAMESPACE], { env: { ...process.env, ...engineEnv() }, stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl argo rollouts ${args.join(" ")}: ${stderr}`))));
        });
    }
});
