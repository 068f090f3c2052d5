import * as assert from "node:assert/strict";
import fc from "fast-check";
import { fitDnsLabel, MAX_DNS_LABEL, prHost, prNamespaceName } from "../../lib/naming";

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 2, maxLength: 8 }).map((labels) => labels.join("."));
const prNumber = fc.integer({ min: 1, max: 2_000_000_000 });

describe("naming", () => {
    it("names the namespace of PR 123 under shop.pilab.hu pr-123-shop-pilab-hu", () => {
        assert.equal(prNamespaceName(123, "shop.pilab.hu"), "pr-123-shop-pilab-hu");
        assert.equal(prHost(123, "shop.pilab.hu"), "pr-123.shop.pilab.hu");
    });

    it("leaves names of 63 characters alone and shortens the 64th", () => {
        const fits = `pr-1-${"a".repeat(58)}`;
        assert.equal(fits.length, 63);
        assert.equal(fitDnsLabel(fits), fits);
        const long = `${fits}b`;
        const short = fitDnsLabel(long);
        assert.ok(short.length <= MAX_DNS_LABEL);
        assert.notEqual(short, fits);
    });

    it("keeps every namespace a DNS-1123 label of at most 63 characters, starting pr-<n>-", () => {
        fc.assert(fc.property(prNumber, domain, (n, d) => {
            const name = prNamespaceName(n, d);
            assert.ok(name.length <= MAX_DNS_LABEL, name);
            assert.match(name, DNS_1123_LABEL);
            assert.ok(name.startsWith(`pr-${n}-`), name);
        }), { numRuns: 2000 });
    });

    it("gives the same PR and domain the same namespace every time", () => {
        fc.assert(fc.property(prNumber, domain, (n, d) => prNamespaceName(n, d) === prNamespaceName(n, d)));
    });

    it("gives different PRs or domains different namespaces, long domains included", () => {
        fc.assert(fc.property(fc.uniqueArray(fc.tuple(prNumber, domain), {
            minLength: 2, maxLength: 50, selector: ([n, d]) => `pr-${n}-${d.replace(/\./g, "-")}`,
        }), (pairs) => {
            const names = pairs.map(([n, d]) => prNamespaceName(n, d));
            assert.equal(new Set(names).size, names.length, names.join("\n"));
        }), { numRuns: 500 });
    });

    it("tells apart long domains that differ only past the cut", () => {
        const base = `${"very-long-team-name.".repeat(4)}example.com`;
        const a = prNamespaceName(7, `a.${base}`.replace("example", "example-a"));
        const b = prNamespaceName(7, `a.${base}`.replace("example", "example-b"));
        assert.notEqual(a, b);
        assert.equal(a.slice(0, 40), b.slice(0, 40));
    });
});
