import * as assert from "node:assert/strict";
import { validateKubernetesObject } from "../support/kubernetesModels";
import { runProgram } from "../support/program";

describe("Kubernetes schema", () => {
    it("validates every built-in object a PR stack emits against the Kubernetes OpenAPI schema", async () => {
        const run = await runProgram({ config: {
            pr: { number: 123 },
            deployedAt: "2025-01-15T14:30:00Z",
            backends: { mongodb: "mongodb://mongo.shared.svc:27017", redis: "redis://cache.example.com" },
            backendNetworks: { redis: ["10.20.0.0/16"] },
        } });
        const validated = run.resources.filter((resource) => {
            try {
                return validateKubernetesObject(resource) === "valid";
            } catch (error) {
                assert.fail(`${resource.type} ${resource.name}: ${(error as Error).message}`);
            }
        });
        assert.deepEqual([...new Set(validated.map((r) => r.type.split(":")[2]))].sort(),
            ["Deployment", "Ingress", "LimitRange", "Namespace", "NetworkPolicy", "ResourceQuota", "Secret", "Service"]);
    });
});
