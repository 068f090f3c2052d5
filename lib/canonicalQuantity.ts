/**
 * The canonical spelling of a Kubernetes quantity, as apimachinery's Quantity.String() writes it:
 * `0.5` is `500m`, `2048Mi` is `2Gi`, `1000m` is `1`. A Rollout's pod template is a custom resource,
 * which the API server stores verbatim; writing quantities canonically there means that respelling
 * one in config (`1024Mi` for `1Gi`) is no template change, so it neither starts a release through
 * every canary step nor leaves the Rollout spelled differently from the ReplicaSets it owns.
 */

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(DECIMAL_EXPONENTS).map(([suffix, exp]) => [exp, suffix]));
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;

const TEN = 10n;
const NANOS_PER_UNIT = 10n ** 9n;
const KIBI = 1024n;

type Format = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** `quantity` spelled canonically; undefined when it is no quantity. */
export function canonicalQuantity(quantity: string): string | undefined {
    const match = QUANTITY.exec(quantity);
    if (match === null) {
        return undefined;
    }
    const [, sign = "", number = "", suffix = ""] = match;
    const [whole = "", fraction = ""] = number.split(".");
    let mantissa = BigInt(`${whole}${fraction}` || "0");
    let exponent = -fraction.length;
    let format: Format = "DecimalSI";
    if (suffix.endsWith("i")) {
        format = "BinarySI";
        mantissa *= KIBI ** BigInt(BINARY_SUFFIXES.indexOf(suffix as (typeof BINARY_SUFFIXES)[number]));
    } else if (/^[eE]/.test(suffix)) {
        format = "DecimalExponent";
        exponent += Number(suffix.slice(1));
    } else {
        exponent += DECIMAL_EXPONENTS[suffix] ?? 0;
    }

    // Quantities keep nine decimal places; anything finer is rounded up, away from zero.
    const nanos = exponent + 9 >= 0
        ? mantissa * TEN ** BigInt(exponent + 9)
        : (mantissa + TEN ** BigInt(-(exponent + 9)) - 1n) / TEN ** BigInt(-(exponent + 9));
    if (nanos === 0n) {
        return "0";
    }
    const signed = sign === "-" ? "-" : "";

    // Binary quantities print in powers of 1024 only when that is exact and at least 1Ki.
    if (format === "BinarySI" && nanos >= KIBI * NANOS_PER_UNIT && nanos % NANOS_PER_UNIT === 0n) {
        let amount = nanos / NANOS_PER_UNIT;
        let power = 0;
        while (amount % KIBI === 0n && power < BINARY_SUFFIXES.length - 1) {
            amount /= KIBI;
            power += 1;
        }
        return `${signed}${amount}${BINARY_SUFFIXES[power]}`;
    }

    // Otherwise the smallest mantissa whose exponent is a multiple of three.
    let amount = nanos;
    let power = -9;
    while (amount % TEN === 0n) {
        amount /= TEN;
        power += 1;
    }
    const remainder = ((power % 3) + 3) % 3;
    amount *= TEN ** BigInt(remainder);
    power -= remainder;
    const decimalSuffix = format === "DecimalExponent" ? undefined : DECIMAL_SUFFIXES[power];
    return `${signed}${amount}${decimalSuffix ?? (power === 0 ? "" : `e${power}`)}`;
}
