import * as assert from "node:assert/strict";
import { BlockList } from "node:net";
import fc from "fast-check";
import { cidrProblem, hostBlock } from "../../lib/cidr";

/** The URL standard's serialisation of an IPv6 address: RFC 5952's canonical text. */
function canonicalIpv6(address: string): string {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

const ipv6Groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });

describe("IP blocks (lib/cidr)", () => {
    it("writes an IPv6 host's block in canonical form, whatever zeros it has", () => {
        fc.assert(fc.property(ipv6Groups, (groups) => {
            const written = groups.map((group) => group.toString(16)).join(":");
            assert.equal(hostBlock(written), `${canonicalIpv6(written)}/128`);
            assert.equal(hostBlock(`[${written}]`), `${canonicalIpv6(written)}/128`);
        }));
    });

    it("accepts a block at its first address and refuses any other, naming the first", () => {
        // Addresses as bit strings: the block's first address is its prefix followed by zeros.
        const blocks = fc.constantFrom(32, 128).chain((bits) => fc.tuple(
            fc.constant(bits),
            fc.array(fc.constantFrom("0", "1"), { minLength: bits, maxLength: bits }).map((b) => b.join("")),
            fc.integer({ min: 0, max: bits }),
            fc.boolean(),
        ));
        fc.assert(fc.property(blocks, ([bits, random, prefix, atFirst]) => {
            const first = random.slice(0, prefix).padEnd(bits, "0");
            const address = atFirst || prefix === bits ? first : random.slice(0, prefix) + random.slice(prefix).replace(/^0*$/, (zeros) => `${zeros.slice(1)}1`);
            const family = bits === 32 ? "ipv4" : "ipv6";
            const text = (bitString: string) => (bits === 32
                ? bitString.match(/.{8}/g)!.map((octet) => parseInt(octet, 2)).join(".")
                : canonicalIpv6(bitString.match(/.{16}/g)!.map((group) => parseInt(group, 2).toString(16)).join(":")));
            const list = new BlockList();
            list.addSubnet(text(first), prefix, family);
            assert.ok(list.check(text(address), family), `${text(address)} is in ${text(first)}/${prefix}`);
            const problem = cidrProblem(`${text(address)}/${prefix}`);
            if (address === first) {
                assert.equal(problem, undefined);
            } else {
                assert.match(problem ?? "accepted", new RegExp(`write the block's first address \\(${text(first).replace(/\./g, "\\.")}/${prefix}\\)$`));
            }
        }));
    });

    it("reads a name as no address", () => {
        assert.equal(hostBlock("cache.example.com"), undefined);
        assert.equal(hostBlock("10.0.0.1"), "10.0.0.1/32");
        assert.equal(hostBlock("::ffff:10.0.0.1"), "::ffff:a00:1/128");
    });
});
