import * as assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { ProgramRun, RegisteredResource, revealSecrets, runProgram } from "../support/program";
import { ungatedStackFileConfig } from "../support/projectConfig";

/** A resource as the policy server would show it: URN, type and the registered inputs as props. */
interface Checked {
    readonly type: string;
    readonly urn: string;
    readonly name: string;
    readonly props: Record<string, any>;
}

function checked(stack: string, resource: RegisteredResource): Checked {
    return { type: resource.type, name: resource.name, urn: `urn:pulumi:${stack}::rollout-stacks::${resource.type}::${resource.name}`, props: revealSecrets(resource.inputs) };
}

/** Every violation every policy of the pack reports over a program run, as `policy: message`. */
async function violations(run: ProgramRun, stack: string): Promise<string[]> {
    const resources = run.resources.map((resource) => checked(stack, resource));
    const found: string[] = [];
    for (const policy of policies) {
        const report = (message: string) => found.push(`${policy.name}: ${message}`);
        if ("validateStack" in policy) {
            const args = { resources, stackTags: new Map(), getConfig: () => ({}), notApplicable: () => { throw new Error("not applicable"); } };
            await (policy as StackValidationPolicy).validateStack(args as unknown as StackValidationArgs, report);
            continue;
        }
        const validations = (policy as ResourceValidationPolicy).validateResource;
        for (const resource of resources) {
            for (const validate of Array.isArray(validations) ? validations : [validations!]) {
                const args = { ...resource, getConfig: () => ({}), stackTags: new Map() } as unknown as ResourceValidationArgs;
                await validate(args, report);
            }
        }
    }
    return found;
}

describe("policy pack over the program", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: { pr: { number: 123 }, deployedAt: "2025-01-15T14:30:00Z", backends: { redis: "redis://cache.shared.svc:6379" } } });
    });

    it("finds no violation in a PR stack", async () => {
        assert.ok(run.ofType("kubernetes:apps/v1:Deployment").length > 0, "the PR stack registered no Deployments to check");
        assert.deepEqual(await violations(run, "pr-123"), []);
    });

    it("would catch a PR stack that lost its quota, its default-deny policy or a pinned image", async () => {
        const withoutDeny: ProgramRun = {
            ...run,
            resources: run.resources
                .filter((r) => !(r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata?.name === "default-deny"))
                .filter((r) => r.type !== "kubernetes:core/v1:ResourceQuota")
                .map((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.name === "cart-service"
                    ? { ...r, inputs: { ...r.inputs, spec: { ...r.inputs.spec, template: { ...r.inputs.spec.template, spec: { ...r.inputs.spec.template.spec, containers: [{ ...r.inputs.spec.template.spec.containers[0], image: "ghcr.io/pilab-hu/cart-service:latest" }] } } } } }
                    : r),
        };
        assert.deepEqual((await violations(withoutDeny, "pr-123")).sort(), [
            "pinned-images: container cart-service: image 'ghcr.io/pilab-hu/cart-service:latest' uses the floating tag 'latest'; pin a version or a digest",
            "pr-namespace-isolation: PR namespace pr-123-shop-pilab-hu has no ResourceQuota with hard limits",
            "pr-namespace-isolation: PR namespace pr-123-shop-pilab-hu has no default-deny NetworkPolicy for Ingress and Egress (podSelector {} with no rules)",
        ]);
    });

    it("finds no violation in the prod environment, whose Rollouts must run analysis", async () => {
        // The platform's Helm charts register their resources only on a real engine; leave it out.
        const prod = await runProgram({ config: { ...ungatedStackFileConfig("prod"), platform: undefined }, stack: "prod" });
        assert.ok(prod.ofType("kubernetes:argoproj.io/v1alpha1:Rollout").length > 0, "the prod stack registered no Rollouts to check");
        assert.deepEqual(await violations(prod, "prod"), []);
    });
});
