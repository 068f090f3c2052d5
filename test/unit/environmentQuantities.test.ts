import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { canonicalQuantity, parseQuantity } from "../../lib/quantity";

describe("canonical quantities in Rollout templates", () => {
    it("spells quantities as apimachinery's Quantity.String() does", () => {
        const cases: [string, string][] = [
            ["0.5", "500m"], ["1.5", "1500m"], ["100m", "100m"], ["1000m", "1"], ["2000", "2k"], ["1500", "1500"],
            ["0.001", "1m"], ["0.1n", "1n"], ["0", "0"], ["0Mi", "0"],
            ["64Mi", "64Mi"], ["0.5Gi", "512Mi"], ["2048Mi", "2Gi"], ["1024Ki", "1Mi"], ["1000Mi", "1000Mi"],
            ["1.5Ki", "1536"], ["0.5Ki", "512"],
            ["1e3", "1e3"], ["1.5e3", "1500"], ["1E6", "1e6"], ["12e-3", "12e-3"],
            ["1E", "1E"], ["1000P", "1E"], ["2Ei", "2Ei"],
        ];
        for (const [given, canonical] of cases) {
            assert.equal(canonicalQuantity(given), canonical, given);
        }
    });

    it("rejects what is no quantity", () => {
        for (const value of ["lots", "1.5 Gi", "1Gb", "", "m"]) {
            assert.equal(canonicalQuantity(value), undefined, value);
        }
    });

    it("keeps the amount, is a quantity itself, and spells it the same the second time", () => {
        const suffix = fc.constantFrom("", "m", "k", "M", "G", "Ki", "Mi", "Gi", "e3", "e-2");
        const amount = fc.tuple(fc.integer({ min: 0, max: 999_999 }), fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }))
            .map(([whole, fraction]) => (fraction === undefined ? `${whole}` : `${whole}.${String(fraction).padStart(3, "0")}`));
        fc.assert(fc.property(amount, suffix, (number, unit) => {
            const quantity = `${number}${unit}`;
            const canonical = canonicalQuantity(quantity);
            assert.ok(canonical !== undefined, quantity);
            const [before, after] = [parseQuantity(quantity) ?? NaN, parseQuantity(canonical) ?? NaN];
            // Amounts below a nano round up to one, as in apimachinery; otherwise the value is kept.
            assert.ok(Math.abs(before - after) <= Math.max(1e-9, Math.abs(before) * 1e-12), `${quantity} is ${canonical}`);
            assert.equal(canonicalQuantity(canonical), canonical);
        }));
    });
});
