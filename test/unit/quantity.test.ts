import * as assert from "node:assert/strict";
import { isQuantity, parseQuantity } from "../../lib/quantity";

describe("quantities", () => {
    it("reads the suffixes Kubernetes reads", () => {
        assert.equal(parseQuantity("250m"), 0.25);
        assert.equal(parseQuantity("2"), 2);
        assert.equal(parseQuantity("1.5"), 1.5);
        assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
        assert.equal(parseQuantity("1G"), 1e9);
        assert.equal(parseQuantity("1e3"), 1000);
    });

    it("rejects what the API server rejects", () => {
        for (const bad of ["lots", "1.5 Gi", "1gb", "Mi", "", "1mi", "0x10"]) {
            assert.ok(!isQuantity(bad), bad);
            assert.equal(parseQuantity(bad), undefined, bad);
        }
    });
});
