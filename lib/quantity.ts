/**
 * Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `1e3`), after apimachinery's
 * resource.Quantity grammar: read once here, then as a number (config checks sums against quotas)
 * or spelled canonically (see {@link canonicalQuantity}).
 */

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

/** A quantity as the grammar reads it: sign, the digits around the point, and the suffix. */
interface QuantityParts {
    readonly negative: boolean;
    readonly whole: string;
    readonly fraction: string;
    readonly suffix: string;
}

function readQuantity(value: string): QuantityParts | undefined {
    const match = QUANTITY.exec(value);
    if (match === null) {
        return undefined;
    }
    const [, sign = "", number = "", suffix = ""] = match;
    const [whole = "", fraction = ""] = number.split(".");
    return { negative: sign === "-", whole, fraction, suffix };
}

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(DECIMAL_EXPONENTS).map(([suffix, exp]) => [exp, suffix]));
const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;

function isBinary(suffix: string): suffix is (typeof BINARY_SUFFIXES)[number] {
    return suffix.endsWith("i");
}

function isExponent(suffix: string): boolean {
    return /^[eE][+-]?[0-9]/.test(suffix);
}

/** True when `value` is a Kubernetes quantity. */
export function isQuantity(value: string): boolean {
    return readQuantity(value) !== undefined;
}

/** True when `value` is a quantity above zero (amounts below a nano count, as the API server rounds them up). */
export function isPositiveQuantity(value: string): boolean {
    const parts = readQuantity(value);
    return parts !== undefined && !parts.negative && /[1-9]/.test(parts.whole + parts.fraction);
}

/** The quantity's value in base units (cores, bytes); undefined when it is not a quantity. */
export function parseQuantity(value: string): number | undefined {
    const parts = readQuantity(value);
    if (parts === undefined) {
        return undefined;
    }
    const { negative, whole, fraction, suffix } = parts;
    const factor = isBinary(suffix) ? 1024 ** BINARY_SUFFIXES.indexOf(suffix)
        : isExponent(suffix) ? 10 ** Number(suffix.slice(1))
            : Number(`1e${DECIMAL_EXPONENTS[suffix] ?? Number.NaN}`);
    return Number(`${negative ? "-" : ""}${whole}.${fraction}`) * factor;
}

const TEN = 10n;
const NANOS_PER_UNIT = 10n ** 9n;
const KIBI = 1024n;

type Format = "DecimalSI" | "BinarySI" | "DecimalExponent";

/**
 * `quantity` spelled canonically, as apimachinery's Quantity.String() writes it: `0.5` is `500m`,
 * `2048Mi` is `2Gi`, `1000m` is `1`; undefined when it is no quantity. A Rollout's pod template is a
 * custom resource, which the API server stores verbatim; writing quantities canonically there means
 * that respelling one in config (`1024Mi` for `1Gi`) is no template change, so it neither starts a
 * release through every canary step nor leaves the Rollout spelled differently from its ReplicaSets.
 */
export function canonicalQuantity(quantity: string): string | undefined {
    const parts = readQuantity(quantity);
    if (parts === undefined) {
        return undefined;
    }
    const { negative, whole, fraction, suffix } = parts;
    let mantissa = BigInt(`${whole}${fraction}` || "0");
    let exponent = -fraction.length;
    let format: Format = "DecimalSI";
    if (isBinary(suffix)) {
        format = "BinarySI";
        mantissa *= KIBI ** BigInt(BINARY_SUFFIXES.indexOf(suffix));
    } else if (isExponent(suffix)) {
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
    const signed = negative ? "-" : "";

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
