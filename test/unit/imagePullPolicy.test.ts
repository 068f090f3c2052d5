import * as assert from "node:assert/strict";
import { runProgram } from "../support/program";
import { catalogueNames } from "../support/projectConfig";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";

function pullPolicies(resources: readonly { type: string; inputs: Record<string, any> }[], type: string): (string | undefined)[] {
    return resources.filter((r) => r.type === type).map((r) => r.inputs.spec.template.spec.containers[0].imagePullPolicy);
}

/** A restart of a mutable tag must pull the new build; a per-commit tag or digest never needs to. */
describe("image pull policy", () => {
    it("pulls every restart of a PR stack on its default mutable tag pr-<n>", async () => {
        const run = await runProgram({ config: { pr: { number: 123 } } });
        assert.deepEqual(pullPolicies(run.resources, DEPLOYMENT), catalogueNames().map(() => "Always"));
    });

    it("leaves a per-commit tag and a digest to Kubernetes' IfNotPresent default", async () => {
        const digest = `ghcr.io/pilab-hu/cart-service@sha256:${"b".repeat(64)}`;
        const run = await runProgram({ config: { pr: { number: 123 }, imageTag: "pr-123-1a2b3c4", images: { "cart-service": digest } } });
        assert.deepEqual(pullPolicies(run.resources, DEPLOYMENT), catalogueNames().map(() => undefined));
        assert.equal(run.named(DEPLOYMENT, "cart-service").inputs.spec.template.spec.containers[0].image, digest);
    });

    it("pulls a long-lived environment's mutable tag on restart too, and only the overridden service's release tag is left alone", async () => {
        const run = await runProgram({
            stack: "dev",
            config: {
                imageTag: "main",
                images: { "cart-service": "ghcr.io/pilab-hu/cart-service:v2.4.0" },
                environment: { name: "dev", strategy: { blueGreen: {} } },
            },
        });
        const byName = Object.fromEntries(run.ofType(ROLLOUT).map((r) => [r.inputs.metadata.name, r.inputs.spec.template.spec.containers[0].imagePullPolicy]));
        assert.equal(byName["cart-service"], undefined);
        assert.deepEqual(Object.entries(byName).filter(([name]) => name !== "cart-service").map(([, policy]) => policy),
            catalogueNames().filter((name) => name !== "cart-service").map(() => "Always"));
    });
});
