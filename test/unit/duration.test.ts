import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { parseDuration } from "../../bot/duration";
import { goDurationSeconds, pauseDurationSeconds } from "../../lib/duration";

describe("Argo durations", () => {
    it("reads pause durations as the controller does: seconds, digits or a Go duration", () => {
        for (const [value, seconds] of [[45, 45], ["90", 90], ["30s", 30], ["2m", 120], ["1h", 3600], ["1h30m", 5400], ["1.5h", 5400], ["500ms", 0.5]] as const) {
            assert.equal(pauseDurationSeconds(value), seconds, String(value));
        }
    });

    it("rejects what the controller would refuse", () => {
        for (const value of ["2 minutes", "1.5", "-5s", "5 s", "", "1d", "2M", -1, 1.5, 2 ** 31, `${2 ** 31}`]) {
            assert.equal(pauseDurationSeconds(value), undefined, JSON.stringify(value));
        }
    });

    it("reads any whole number of seconds in each spelling alike", () => {
        fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n) => {
            const h = Math.floor(n / 3600);
            const m = Math.floor((n % 3600) / 60);
            const s = n % 60;
            return [n, `${n}`, `${n}s`, `${h}h${m}m${s}s`].every((spelling) => pauseDurationSeconds(spelling) === n);
        }));
    });

    it("takes only Go durations for analysis intervals, not bare numbers", () => {
        assert.equal(goDurationSeconds("30s"), 30);
        assert.equal(goDurationSeconds("1m30s"), 90);
        assert.equal(goDurationSeconds("0"), 0);
        assert.equal(goDurationSeconds("60"), undefined);
        assert.equal(goDurationSeconds("1 m"), undefined);
    });
});

describe("bot flag durations", () => {
    it("reads Go durations and days, in milliseconds", () => {
        for (const [text, ms] of [["90s", 90_000], ["15m", 900_000], ["2h", 7_200_000], ["7d", 604_800_000], ["1h30m", 5_400_000],
            ["1.5h", 5_400_000], ["250ms", 250], ["1d12h", 129_600_000]] as const) {
            assert.equal(parseDuration(text), ms, text);
        }
    });

    it("rejects what is no positive duration", () => {
        for (const text of ["soon", "", "0", "0s", "-5m", "5", "1w", "1 h", "2M", "0.4ms"]) {
            assert.equal(parseDuration(text), undefined, text);
        }
    });

    it("is the Go grammar plus days: every Go duration of a millisecond or more means the same", () => {
        const unit = fc.constantFrom("ms", "s", "m", "h");
        const part = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), unit)
            .map(([whole, fraction, u]) => `${whole}${fraction === undefined ? "" : `.${fraction}`}${u}`);
        fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
            const text = parts.join("");
            const seconds = goDurationSeconds(text);
            assert.ok(seconds !== undefined, text);
            const ms = Math.round(seconds * 1_000);
            assert.equal(parseDuration(text), ms > 0 ? ms : undefined, text);
        }));
    });
});
