import { isIPv4, isIPv6 } from "node:net";

/**
 * IP blocks as a NetworkPolicy's `ipBlock.cidr` takes them: `10.20.0.0/16`, `2001:db8::/32`. Only
 * the canonical form is accepted (no bits set past the prefix): the API server would take
 * `10.20.1.7/16` and mean `10.20.0.0/16`, which is rarely what its writer meant.
 */

/** The whole IPv4 or IPv6 address space, which config must name to allow "anywhere". */
export const ANY_ADDRESS = ["0.0.0.0/0", "::/0"] as const;

/** Why `text` is no CIDR block in canonical form, or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
    if (match === null) {
        return "expected an IP block such as 10.20.0.0/16 or 2001:db8::/32 (an address, '/', a prefix length)";
    }
    const [, address, prefixText] = match as unknown as [string, string, string];
    const prefix = Number(prefixText);
    const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : undefined;
    if (bits === undefined) {
        return `${address} is not an IPv4 or IPv6 address`;
    }
    if (prefix > bits || prefixText !== String(prefix)) {
        return `the prefix length ${prefixText} is not a whole number from 0 to ${bits}`;
    }
    const value = addressValue(address);
    const hostBits = BigInt(bits - prefix);
    const network = (value >> hostBits) << hostBits;
    return network === value ? undefined : `${text} has bits set past its /${prefix}; write the block's first address (${formatAddress(network, bits)}/${prefix})`;
}

/** The single-address block of an IP literal (`/32` or `/128`), or undefined when `host` is a name. */
export function hostBlock(host: string): string | undefined {
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    return isIPv4(bare) ? `${bare}/32` : isIPv6(bare) ? `${formatAddress(addressValue(bare), 128)}/128` : undefined;
}

function addressValue(address: string): bigint {
    if (isIPv4(address)) {
        return address.split(".").reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
    }
    // An IPv6 address may end in an IPv4 one (::ffff:10.0.0.1) and shorten a run of zeros to '::'.
    const [head, tail] = address.includes("::") ? address.split("::") as [string, string] : [address, undefined];
    const groups = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":").flatMap((group) =>
        (group.includes(".") ? [Number(addressValue(group) >> 16n), Number(addressValue(group) & 0xffffn)] : [parseInt(group, 16)])));
    const first = groups(head);
    const last = groups(tail);
    const all = tail === undefined ? first : [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
    return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

function formatAddress(value: bigint, bits: number): string {
    if (bits === 32) {
        return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
    }
    const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
    // RFC 5952: the longest run of two or more zero groups, the first of equals, becomes '::'.
    let best = { start: -1, length: 1 };
    for (let start = 0; start < 8; start++) {
        let length = 0;
        while (start + length < 8 && groups[start + length] === "0") {
            length++;
        }
        if (length > best.length) {
            best = { start, length };
        }
    }
    return best.start < 0
        ? groups.join(":")
        : `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}
