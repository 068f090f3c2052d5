import * as assert from "node:assert/strict";
import { loadConfig } from "../../config";
import { assertConfigRejected as assertRejected, cliConfigSource as source } from "../support/configAssertions";
import { PROD_CANARY_STEPS } from "../support/prodCanary";
import { failProgram } from "../support/program";
import { catalogueNames, stackFileConfig } from "../support/projectConfig";

const steps: readonly unknown[] = PROD_CANARY_STEPS;

/** A prod-like environment with `strategy` (and more of `environment`) replaced. */
function env(strategy: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
    return { imageTag: "v1.0.0", environment: { name: "prod", strategy, ...more } };
}

function withStep(index: number, step: unknown): unknown[] {
    return steps.map((s, i) => (i === index ? step : s));
}

const STEPS = "rollout-stacks:environment.strategy.canary.steps";

describe("environment config", () => {
    it("accepts the dev and prod stack files and fills in the defaults", () => {
        const only = (stack: string) => {
            const { imageTag, environment } = stackFileConfig(stack);
            return { imageTag, environment };
        };
        const dev = loadConfig(source(only("dev"))).environment;
        assert.deepEqual(dev?.strategy, { blueGreen: { autoPromotionEnabled: true, scaleDownDelaySeconds: 30 } });
        assert.equal(dev?.restartStrategy, "template");
        assert.equal(dev?.analysis.prometheusAddress, "http://prometheus-operated.monitoring.svc:9090");
        const prod = loadConfig(source(only("prod"))).environment;
        assert.ok(prod !== undefined && "canary" in prod.strategy);
        assert.deepEqual(prod.strategy.canary.steps, steps);
        assert.deepEqual({ maxSurge: prod.strategy.canary.maxSurge, maxUnavailable: prod.strategy.canary.maxUnavailable }, { maxSurge: "25%", maxUnavailable: 0 });
        assert.equal(prod.analysis.successRate, 0.99);
    });

    describe("canary steps", () => {
        it("rejects a weight that goes down", () => assertRejected(env({ canary: { steps: withStep(3, { setWeight: 10 }) } }),
            `${STEPS}[3].setWeight`, /drops from 20 \(steps\[0\]\) to 10/, /must not decrease/, /given: 10/));
        it("rejects a weight above 100", () => assertRejected(env({ canary: { steps: withStep(0, { setWeight: 120 }) } }),
            `${STEPS}[0].setWeight`, /weight from 0 to 100/, /given: 120/));
        it("rejects a weight that is not a whole number", () => assertRejected(env({ canary: { steps: withStep(0, { setWeight: 12.5 }) } }),
            `${STEPS}[0].setWeight`, /whole-number weight/));
        it("rejects a pause duration the controller cannot read", () => assertRejected(env({ canary: { steps: withStep(1, { pause: { duration: "2 minutes" } }) } }),
            `${STEPS}[1].pause.duration`, /30s, 2m, 1h or a whole number of seconds/, /given: "2 minutes"/));
        it("rejects a pause shorter than a second", () => assertRejected(env({ canary: { steps: withStep(1, { pause: { duration: "500ms" } }) } }),
            `${STEPS}[1].pause.duration`, /whole seconds, at least 1s/));
        it("rejects an analysis naming a template the environment does not have", () => assertRejected(
            env({ canary: { steps: withStep(2, { analysis: { templates: ["error-rate"] } }) } }),
            `${STEPS}[2].analysis.templates[0]`, /no AnalysisTemplate named "error-rate"/, /success-rate and latency-p99/));
        it("rejects a step of two kinds", () => assertRejected(env({ canary: { steps: withStep(0, { setWeight: 20, pause: {} }) } }),
            `${STEPS}[0]`, /exactly one of setWeight, pause, analysis, setCanaryScale, but setWeight and pause are set/));
        it("rejects a misspelt step", () => assertRejected(env({ canary: { steps: withStep(0, { setWieght: 20 }) } }),
            `${STEPS}[0].setWieght`, /unknown key/));
        it("rejects setCanaryScale without traffic routing", () => assertRejected(env({ canary: { steps: [{ setCanaryScale: { replicas: 1 } }, ...steps] } }),
            `${STEPS}[0].setCanaryScale`, /needs trafficRouting/));
        it("accepts setCanaryScale with NGINX routing", () => {
            const config = loadConfig(source(env({ canary: { steps: [{ setCanaryScale: { weight: 10 } }, ...steps], trafficRouting: { nginx: {} } } })));
            assert.ok(config.environment !== undefined && "canary" in config.environment.strategy);
            assert.deepEqual(config.environment.strategy.canary.trafficRouting, { nginx: {} });
        });
    });

    describe("strategy", () => {
        it("rejects canary and blueGreen together", () => assertRejected(env({ canary: { steps }, blueGreen: {} }),
            "rollout-stacks:environment.strategy", /exactly one of canary, blueGreen, but canary and blueGreen are set/));
        it("rejects a strategy that is neither", () => assertRejected(env({}), "rollout-stacks:environment.strategy", /expected one of canary, blueGreen/));
        it("rejects scaleDownDelaySeconds on a replica-ratio canary", () => assertRejected(env({ canary: { steps, scaleDownDelaySeconds: 30 } }),
            "rollout-stacks:environment.strategy.canary.scaleDownDelaySeconds", /needs trafficRouting/));
        it("rejects a canary that could never replace a pod", () => assertRejected(env({ canary: { steps, maxSurge: 0, maxUnavailable: "0%" } }),
            "rollout-stacks:environment.strategy.canary.maxSurge", /both 0/));
        it("rejects a maxSurge that is neither pods nor a percentage", () => assertRejected(env({ canary: { steps, maxSurge: "a quarter" } }),
            "rollout-stacks:environment.strategy.canary.maxSurge", /percentage such as 25%/));
        it("rejects autoPromotionSeconds with auto-promotion off", () => assertRejected(env({ blueGreen: { autoPromotionEnabled: false, autoPromotionSeconds: 30 } }),
            "rollout-stacks:environment.strategy.blueGreen.autoPromotionSeconds", /ignores autoPromotionSeconds/));
        it("rejects a promotion analysis of an unknown template", () => assertRejected(env({ blueGreen: { prePromotionAnalysis: { templates: ["smoke"] } } }),
            "rollout-stacks:environment.strategy.blueGreen.prePromotionAnalysis.templates[0]", /no AnalysisTemplate named "smoke"/));
    });

    describe("analysis", () => {
        it("rejects a success rate written as a percentage", () => assertRejected(env({ canary: { steps } }, { analysis: { successRate: 99 } }),
            "rollout-stacks:environment.analysis.successRate", /write 99% as 0.99/, /given: 99/));
        it("rejects a failureLimit that lets the analysis never fail", () => assertRejected(env({ canary: { steps } }, { analysis: { count: 3, failureLimit: 3 } }),
            "rollout-stacks:environment.analysis.failureLimit", /can never fail/));
        it("rejects an interval without a unit", () => assertRejected(env({ canary: { steps } }, { analysis: { interval: 60 } }),
            "rollout-stacks:environment.analysis.interval", /with a unit/));
        it("rejects a latency bound that is not positive", () => assertRejected(env({ canary: { steps } }, { analysis: { latencyP99Ms: 0 } }),
            "rollout-stacks:environment.analysis.latencyP99Ms", /positive number of milliseconds/));
        it("rejects a Prometheus address that is no http URL", () => assertRejected(env({ canary: { steps } }, { analysis: { prometheusAddress: "prometheus:9090" } }),
            "rollout-stacks:environment.analysis.prometheusAddress", /http\(s\) URL/));
    });

    describe("environment", () => {
        it("rejects replicas for a service not in the catalogue", () => assertRejected(env({ canary: { steps } }, { replicas: { basket: 3 } }),
            "rollout-stacks:environment.replicas.basket", /no service named basket/));
        it("rejects a negative replica count", () => assertRejected(env({ canary: { steps } }, { replicas: { "cart-service": -1 } }),
            "rollout-stacks:environment.replicas.cart-service", /whole number of replicas from 0 to 100/));
        for (const name of ["kube-system", "default", "pr-12", "pr-12-shop-pilab-hu"]) {
            it(`rejects the reserved name ${name}`, () => assertRejected({ imageTag: "v1", environment: { name, strategy: { blueGreen: {} } } },
                "rollout-stacks:environment.name", /reserved/));
        }
        it("rejects an unknown restart strategy", () => assertRejected(env({ canary: { steps } }, { restartStrategy: "rolling" }),
            "rollout-stacks:environment.restartStrategy", /template or restartAt/));
        it("needs an image tag unless every service has its own image", () => {
            const untagged = catalogueNames().filter((name) => name !== "cart-service");
            assertRejected({ environment: { name: "prod", strategy: { canary: { steps } } }, images: { "cart-service": "acme/cart:v2" } },
                "rollout-stacks:imageTag", /needs imageTag/, new RegExp(`\\(missing for ${untagged.join(", ")}\\)`));
            const images = Object.fromEntries(catalogueNames().map((s) => [s, `acme/${s}:v2`]));
            assert.equal(loadConfig(source({ environment: { name: "prod", strategy: { blueGreen: {} } }, images })).imageTag, undefined);
        });
    });

    it("fails the program before it registers a single resource", async () => {
        const { error, resources } = await failProgram({ stack: "prod", config: env({ canary: { steps: withStep(0, { setWeight: 120 }) } }) });
        assert.match(error.message, /rollout-stacks:environment\.strategy\.canary\.steps\[0\]\.setWeight/);
        assert.deepEqual(resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });

    describe("progress deadline and rollback window", () => {
        const bg = { blueGreen: {} };
        const DEADLINE = "rollout-stacks:environment.progressDeadlineSeconds";

        it("takes whole seconds within bounds, and an abort only with a deadline", () => {
            const environment = loadConfig(source(env(bg, { progressDeadlineSeconds: 600, progressDeadlineAbort: true, rollbackWindow: 3 }))).environment!;
            assert.deepEqual([environment.progressDeadlineSeconds, environment.progressDeadlineAbort, environment.rollbackWindow], [600, true, 3]);
            const plain = loadConfig(source(env(bg))).environment!;
            assert.deepEqual([plain.progressDeadlineSeconds, plain.progressDeadlineAbort, plain.rollbackWindow], [undefined, false, undefined]);
        });

        it("refuses a negative, fractional, too short or too long deadline", () => {
            assertRejected(env(bg, { progressDeadlineSeconds: -5 }), DEADLINE, /expected 10 to 86400 seconds/, /given: -5/);
            assertRejected(env(bg, { progressDeadlineSeconds: 60.5 }), DEADLINE, /expected a whole number/);
            assertRejected(env(bg, { progressDeadlineSeconds: 5 }), DEADLINE, /expected 10 to 86400 seconds/);
            assertRejected(env(bg, { progressDeadlineSeconds: 90_000 }), DEADLINE, /at most 86400 seconds/);
        });

        it("refuses an abort without a deadline", () => {
            assertRejected(env(bg, { progressDeadlineAbort: true }), "rollout-stacks:environment.progressDeadlineAbort",
                /needs the deadline: set progressDeadlineSeconds/);
        });

        it("refuses a deadline a blue/green promotion analysis would outlast", () => {
            assertRejected(env({ blueGreen: { prePromotionAnalysis: { templates: ["success-rate"] } } },
                { progressDeadlineSeconds: 60, analysis: { interval: "30s", count: 3, initialDelay: "10s" } }),
            DEADLINE, /takes about 100s .* raise progressDeadlineSeconds above 100/);
            loadConfig(source(env({ blueGreen: { prePromotionAnalysis: { templates: ["success-rate"] } } },
                { progressDeadlineSeconds: 101, analysis: { interval: "30s", count: 3, initialDelay: "10s" } })));
        });

        it("refuses a rollback window beyond the revisions a Rollout keeps", () => {
            assertRejected(env(bg, { rollbackWindow: 6 }), "rollout-stacks:environment.rollbackWindow", /at most 5 revisions: each Rollout keeps 5 old ReplicaSets/);
            assertRejected(env(bg, { rollbackWindow: 0 }), "rollout-stacks:environment.rollbackWindow", /expected 1 to 5 revisions/);
        });

        it("turns both on in prod's stack file, and leaves them off in dev's", () => {
            const only = (stack: string) => {
                const { imageTag, environment } = stackFileConfig(stack);
                return loadConfig(source({ imageTag, environment })).environment!;
            };
            const prod = only("prod");
            assert.deepEqual([prod.progressDeadlineSeconds, prod.progressDeadlineAbort, prod.rollbackWindow], [600, true, 3]);
            const dev = only("dev");
            assert.deepEqual([dev.progressDeadlineAbort, dev.rollbackWindow], [false, undefined]);
        });
    });
});
