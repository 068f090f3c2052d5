/**
 * Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `1e3`), after apimachinery's
 * resource.Quantity grammar. Parsing to a number lets config check sums against quotas.
 */

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

const SUFFIX_FACTORS: Readonly<Record<string, number>> = {
    n: 1e-9, u: 1e-6, m: 1e-3, "": 1,
    k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** True when `value` is a Kubernetes quantity. */
export function isQuantity(value: string): boolean {
    return QUANTITY.test(value);
}

/** The quantity's value in base units (cores, bytes); undefined when it is not a quantity. */
export function parseQuantity(value: string): number | undefined {
    const match = QUANTITY.exec(value);
    if (!match || match[1] === undefined) {
        return undefined;
    }
    const suffix = match[2] ?? "";
    const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_FACTORS[suffix];
    return factor === undefined ? undefined : Number(match[1]) * factor;
}
