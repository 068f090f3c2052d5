import * as assert from "node:assert/strict";
import { rfc3339UtcProblem, toRfc3339Utc } from "../../lib/timestamp";

describe("RFC3339 UTC timestamps", () => {
    it("accepts UTC timestamps with and without fractions", () => {
        assert.equal(rfc3339UtcProblem("2025-01-15T14:30:00Z"), undefined);
        assert.equal(rfc3339UtcProblem("2024-02-29T23:59:59.123Z"), undefined);
    });

    it("says why the output of date, a unix timestamp and a local offset are refused", () => {
        assert.match(rfc3339UtcProblem("Wed Jan 15 14:30:00 UTC 2025") ?? "", /YYYY-MM-DDTHH:MM:SSZ/);
        assert.match(rfc3339UtcProblem("1736951400") ?? "", /unix timestamp/);
        assert.match(rfc3339UtcProblem("2025-01-15T15:30:00+01:00") ?? "", /local offset/);
        assert.match(rfc3339UtcProblem("2025-01-15 14:30:00Z") ?? "", /YYYY-MM-DD/);
    });

    it("refuses dates that do not exist", () => {
        assert.match(rfc3339UtcProblem("2025-02-29T10:00:00Z") ?? "", /not a real date/);
        assert.match(rfc3339UtcProblem("2025-01-15T24:00:00Z") ?? "", /not a real date/);
    });

    it("writes a date the way deployedAt wants it", () => {
        assert.equal(toRfc3339Utc(new Date(Date.UTC(2025, 0, 15, 14, 30, 0, 456))), "2025-01-15T14:30:00Z");
    });
});
