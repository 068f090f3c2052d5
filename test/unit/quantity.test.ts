import * as assert from "node:assert/strict";
import { isPositiveQuantity, isQuantity, parseQuantity } from "../../lib/quantity";

describe("quantities", () => {
    it("reads the suffixes Kubernetes reads", () => {
        assert.equal(parseQuantity("250m"), 0.25);
        assert.equal(parseQuantity("2"), 2);
        assert.equal(parseQuantity("1.5"), 1.5);
        assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
        assert.equal(parseQuantity("1G"), 1e9);
        assert.equal(parseQuantity("1e3"), 1000);
    });

    it("reads E as exa and Ei as exbi, not as the start of an exponent", () => {
        assert.equal(parseQuantity("2E"), 2e18);
        assert.equal(parseQuantity("1Ei"), 2 ** 60);
        assert.equal(parseQuantity("2E3"), 2000);
    });

    it("tells amounts above zero from zero and negative ones, whatever the suffix", () => {
        for (const positive of ["1", "250m", "1n", "0.001", "+1Gi", "1e-12", "0.5e-3"]) {
            assert.ok(isPositiveQuantity(positive), positive);
        }
        for (const notPositive of ["0", "0m", "0.0Gi", "+0", "0e3", "0E-2", "-1", "-0.5Mi", "lots"]) {
            assert.ok(!isPositiveQuantity(notPositive), notPositive);
        }
    });

    it("rejects what the API server rejects", () => {
        for (const bad of ["lots", "1.5 Gi", "1gb", "Mi", "", "1mi", "0x10"]) {
            assert.ok(!isQuantity(bad), bad);
            assert.equal(parseQuantity(bad), undefined, bad);
        }
    });
});
