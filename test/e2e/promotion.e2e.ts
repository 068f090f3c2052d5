import * as assert from "node:assert/strict";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROMOTION_OVERRIDE_VARIABLE } from "../../lib/promotionGate";
import { REPO_ROOT } from "../support/projectConfig";
import { botRunner, failed, succeeded } from "./support/bot";
import { cleanUp, engineEnv, openStack } from "./support/engine";
import { Cluster } from "./support/kube";

const DEV_STACK = "promo-dev";
const PROD_STACK = "promo-prod";
const SERVICES = [
    { name: "cart-service", image: "ghcr.io/pilab-hu/cart-service", port: 8080, replicas: 2 },
    { name: "order-service", image: "ghcr.io/pilab-hu/order-service", port: 8080, replicas: 2 },
];
const image = (service: string, tag: string) => `ghcr.io/pilab-hu/${service}:${tag}`;
/** dev as Pulumi.dev.yaml has it, with blue/green's 30 s scale-down shortened. */
const DEV = { services: SERVICES, imageTag: "v1", environment: { name: "e2e-promo-dev", strategy: { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 3 } } } };
/** prod behind the gate, with a canary of two short steps. */
const PROD = {
    services: SERVICES,
    imageTag: "v1",
    environment: { name: "e2e-promo-prod", promotedFrom: DEV_STACK, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: "2s" } }] } } },
};

interface RolloutsResult { readonly rollouts: readonly { readonly name: string; readonly phase: string; readonly images: readonly string[] }[] }
interface EnvUpResult extends RolloutsResult { readonly healthy: Readonly<Record<string, string>> }
interface PlanResult { readonly counts?: Readonly<Record<string, number>>; readonly rollouts: readonly { readonly service: string; readonly change: string; readonly from?: string; readonly to?: string }[] }

/**
 * Environment changes shipped as a merge ships them, on the real engine: dev and prod as two
 * environment stacks on the local cluster, prod promoted from dev. dev's change previews as one
 * Rollout, `env up dev --wait` gets it Healthy and on dev's record; prod then takes that image and
 * refuses one dev never ran, through the bot and through a plain `pulumi up`, changing nothing.
 */
describe("the promotion gate on the real engine", () => {
    const env = { ...engineEnv(), [PROMOTION_OVERRIDE_VARIABLE]: "" };
    const cluster = new Cluster(env.KUBECONFIG);
    const bot = botRunner(env);

    /** The Rollout's spec image and resourceVersion: any write changes the latter. */
    async function liveRollout(namespace: string, name: string): Promise<{ image: string; resourceVersion: string }> {
        const rollout = await cluster.custom.getNamespacedCustomObject({ group: "argoproj.io", version: "v1alpha1", namespace, plural: "rollouts", name }) as {
            metadata: { resourceVersion: string }; spec: { template: { spec: { containers: { image: string }[] } } };
        };
        return { image: rollout.spec.template.spec.containers[0]!.image, resourceVersion: rollout.metadata.resourceVersion };
    }

    async function healthyRecord(stackName: string, service: string): Promise<string[]> {
        const stack = await LocalWorkspace.selectStack({ stackName, workDir: REPO_ROOT }, { envVars: env });
        return ((await stack.outputs()).services?.value as Record<string, { healthyImages: string[] }>)[service]!.healthyImages;
    }

    it("ships dev's change to Healthy, then lets prod take that image and refuses one dev never ran", async () => {
        const stacks: { name: string; stack: Stack }[] = [];
        let failure: unknown;
        try {
            const dev = await openStack(DEV_STACK, DEV, env);
            stacks.push({ name: DEV_STACK, stack: dev });
            await dev.up();
            // The update reads the Rollouts back right after applying them; whatever it saw Healthy then, once
            // env up --wait has followed them to Healthy, v1 is on dev's record (by one more update if need be).
            const first = succeeded<EnvUpResult>(await bot(["env", "up", DEV_STACK, "--wait", "--timeout", "3m"]));
            assert.deepEqual(first.healthy, { "cart-service": image("cart-service", "v1"), "order-service": image("order-service", "v1") });
            assert.deepEqual(await healthyRecord(DEV_STACK, "order-service"), [image("order-service", "v1")]);

            const prod = await openStack(PROD_STACK, PROD, env);
            stacks.push({ name: PROD_STACK, stack: prod });
            await prod.up();

            // A pull request changes one image in dev's config: the plan is that one Rollout, v1 to v2.
            await dev.setConfig("rollout-stacks:images", { value: JSON.stringify({ "cart-service": image("cart-service", "v2") }) });
            const plan = succeeded<PlanResult>(await bot(["env", "preview", DEV_STACK]));
            assert.deepEqual(plan.rollouts.map((r) => [r.service, r.change, r.from, r.to]), [["cart-service", "release", image("cart-service", "v1"), image("cart-service", "v2")]]);

            // Merged: env up dev --wait walks blue/green to Healthy and puts v2 on dev's record.
            const shipped = succeeded<EnvUpResult>(await bot(["env", "up", DEV_STACK, "--wait", "--timeout", "3m"]));
            assert.deepEqual(shipped.rollouts.map((r) => [r.name, r.phase, r.images]), [
                ["cart-service", "Healthy", [image("cart-service", "v2")]], ["order-service", "Healthy", [image("order-service", "v1")]],
            ]);
            assert.deepEqual(shipped.healthy, { "cart-service": image("cart-service", "v2"), "order-service": image("order-service", "v1") });
            assert.deepEqual(await healthyRecord(DEV_STACK, "cart-service"), [image("cart-service", "v1"), image("cart-service", "v2")]);

            // prod takes what dev proved.
            const released = succeeded<RolloutsResult>(await bot(["release", PROD_STACK, "--image", `cart-service=${image("cart-service", "v2")}`, "--wait", "--timeout", "3m"]));
            assert.deepEqual(released.rollouts.map((r) => [r.name, r.phase, r.images]), [["cart-service", "Healthy", [image("cart-service", "v2")]]]);

            // An image dev never ran: refused by the bot (exit 9), config put back, nothing written to the cluster.
            const before = await liveRollout("e2e-promo-prod", "cart-service");
            const refused = failed(await bot(["release", PROD_STACK, "--image", `cart-service=${image("cart-service", "v3")}`]), 9);
            assert.equal(refused.error.split("\n")[0], "Promotion gate refused 1 image; nothing was changed:");
            assert.ok(refused.error.includes(`  - cart-service: ${image("cart-service", "v3")} has never been Healthy in ${DEV_STACK}; ` +
                `${DEV_STACK} has run Healthy: ${image("cart-service", "v1")}, ${image("cart-service", "v2")}`), refused.error);
            assert.deepEqual(JSON.parse((await prod.getConfig("rollout-stacks:images")).value), { "cart-service": image("cart-service", "v2") });
            assert.deepEqual(await liveRollout("e2e-promo-prod", "cart-service"), before);

            // And by a plain `pulumi up` of the same config.
            await prod.setConfig("rollout-stacks:images", { value: JSON.stringify({ "cart-service": image("cart-service", "v3") }) });
            await assert.rejects(prod.up(), (error: Error) => error.message.includes("Promotion gate refused 1 image; nothing was changed"));
            assert.deepEqual(await liveRollout("e2e-promo-prod", "cart-service"), before);
            assert.equal((await prod.history(1))[0]!.result, "failed");

            // An emergency goes through with its reason on record.
            succeeded(await bot(["release", PROD_STACK, "--image", `cart-service=${image("cart-service", "v3")}`, "--override-promotion-gate", "INC-4711: dev is down"]));
            const [last] = await prod.history(1);
            assert.equal(last!.message, `rollout-bot release cart-service=${image("cart-service", "v3")} [promotion gate overridden: INC-4711: dev is down]`);
            assert.equal((await liveRollout("e2e-promo-prod", "cart-service")).image, image("cart-service", "v3"));
        } catch (error) {
            failure = error;
            throw error;
        } finally {
            for (const { name, stack } of stacks.reverse()) {
                await cleanUp(stack, name, failure);
            }
        }
    });
});
