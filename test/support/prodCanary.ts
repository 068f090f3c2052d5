import type { CanaryStep } from "../../lib/rolloutStrategy";

/**
 * The design's prod canary: setWeight 20, pause 2m, the success-rate analysis, setWeight 50,
 * pause 2m, 100 (as `Pulumi.prod.yaml` writes it), for tests of the config and of the strategy.
 */
export const PROD_CANARY_STEPS: readonly CanaryStep[] = [
    { setWeight: 20 },
    { pause: { duration: "2m" } },
    { analysis: { templates: ["success-rate"] } },
    { setWeight: 50 },
    { pause: { duration: "2m" } },
    { setWeight: 100 },
];
