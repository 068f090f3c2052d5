/**
 * Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `1e3`), after apimachinery's
 * resource.Quantity grammar: read once here, then as a number (config checks sums against quotas)
 * or spelled canonically (see {@link canonicalQuantity}).
 */

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

/**
 * Digits a quantity may have, and its exponent: far more than any amount Kubernetes holds needs,
 * few enough that reading one is cheap. Without a bound, `1e2000000` took over a minute of
 * big-number work (preview hung on one typo); the grammar is checked against these bounds first.
 */
export const MAX_QUANTITY_DIGITS = 40;
export const MAX_EXPONENT_DIGITS = 3;
/** The longest text that can be a quantity within those bounds: sign, digits, point and suffix. */
const MAX_QUANTITY_LENGTH = 1 + MAX_QUANTITY_DIGITS + 1 + 2 + MAX_EXPONENT_DIGITS;

/** The largest amount a quantity holds, in base units (cores, bytes); apimachinery caps anything above it. */
export const MAX_QUANTITY = 2n ** 63n - 1n;

/** A quantity as the grammar reads it: sign, the digits around the point, and the suffix. */
interface QuantityParts {
    readonly negative: boolean;
    readonly whole: string;
    readonly fraction: string;
    readonly suffix: string;
}

/** The parts of a quantity within bounds, or why `value` is none. */
function readQuantity(value: string): QuantityParts | { readonly problem: string } {
    if (value.length > MAX_QUANTITY_LENGTH) {
        return { problem: `it is ${value.length} characters long; a quantity has at most ${MAX_QUANTITY_DIGITS} digits and an exponent of at most ${MAX_EXPONENT_DIGITS}` };
    }
    const match = QUANTITY.exec(value);
    if (match === null) {
        return { problem: "it is not a Kubernetes quantity" };
    }
    const [, sign = "", number = "", suffix = ""] = match;
    const [whole = "", fraction = ""] = number.split(".");
    if (whole.length + fraction.length > MAX_QUANTITY_DIGITS) {
        return { problem: `it has ${whole.length + fraction.length} digits; a quantity has at most ${MAX_QUANTITY_DIGITS}` };
    }
    if (isExponent(suffix) && suffix.replace(/^[eE][+-]?/, "").length > MAX_EXPONENT_DIGITS) {
        return { problem: `its exponent ${suffix.slice(1)} has more than ${MAX_EXPONENT_DIGITS} digits; quantities run from 1n (1e-9) to about 9.2e18` };
    }
    const parts = { negative: sign === "-", whole, fraction, suffix };
    return exceedsMaximum(parts)
        ? { problem: `it is beyond the largest amount a Kubernetes quantity holds (2^63-1 = ${MAX_QUANTITY}, just under 8Ei), which the API server would silently cap` }
        : parts;
}

function isParts(read: QuantityParts | { readonly problem: string }): read is QuantityParts {
    return !("problem" in read);
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

const TEN = 10n;
const NANOS_PER_UNIT = 10n ** 9n;
const KIBI = 1024n;

/** The digits as a whole number and the power of ten and of 1024 they are scaled by; cheap within the bounds of readQuantity. */
function scaled({ whole, fraction, suffix }: QuantityParts): { readonly mantissa: bigint; readonly exponent: number; readonly binaryPower: number } {
    const mantissa = BigInt(`${whole}${fraction}` || "0");
    if (isBinary(suffix)) {
        return { mantissa, exponent: -fraction.length, binaryPower: BINARY_SUFFIXES.indexOf(suffix) };
    }
    const exponent = isExponent(suffix) ? Number(suffix.slice(1)) : DECIMAL_EXPONENTS[suffix] ?? 0;
    return { mantissa, exponent: exponent - fraction.length, binaryPower: 0 };
}

function exceedsMaximum(parts: QuantityParts): boolean {
    const { mantissa, exponent, binaryPower } = scaled(parts);
    const amount = mantissa * KIBI ** BigInt(binaryPower);
    return exponent >= 0 ? amount * TEN ** BigInt(exponent) > MAX_QUANTITY : amount > MAX_QUANTITY * TEN ** BigInt(-exponent);
}

/** Why `value` is no Kubernetes quantity (not one, too long, out of range), or undefined when it is one. */
export function quantityProblem(value: string): string | undefined {
    const read = readQuantity(value);
    return isParts(read) ? undefined : read.problem;
}

/** True when `value` is a Kubernetes quantity. */
export function isQuantity(value: string): boolean {
    return isParts(readQuantity(value));
}

/** True when `value` is a quantity above zero (amounts below a nano count, as the API server rounds them up). */
export function isPositiveQuantity(value: string): boolean {
    const parts = readQuantity(value);
    return isParts(parts) && !parts.negative && /[1-9]/.test(parts.whole + parts.fraction);
}

/** The quantity's value in base units (cores, bytes); undefined when it is not a quantity. */
export function parseQuantity(value: string): number | undefined {
    const parts = readQuantity(value);
    if (!isParts(parts)) {
        return undefined;
    }
    const { negative, whole, fraction, suffix } = parts;
    const factor = isBinary(suffix) ? 1024 ** BINARY_SUFFIXES.indexOf(suffix)
        : isExponent(suffix) ? 10 ** Number(suffix.slice(1))
            : Number(`1e${DECIMAL_EXPONENTS[suffix] ?? Number.NaN}`);
    return Number(`${negative ? "-" : ""}${whole}.${fraction}`) * factor;
}

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
    if (!isParts(parts)) {
        return undefined;
    }
    const { negative, suffix } = parts;
    const { mantissa: digits, exponent, binaryPower } = scaled(parts);
    const mantissa = digits * KIBI ** BigInt(binaryPower);
    const format: Format = isBinary(suffix) ? "BinarySI" : isExponent(suffix) ? "DecimalExponent" : "DecimalSI";

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
