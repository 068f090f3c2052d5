/**
 * The part of a resource a rule looks at. Both @pulumi/policy's ResourceValidationArgs and its
 * stack-level PolicyResource have this shape, and so do resources recorded on Pulumi's mocks, so
 * rules run the same in `pulumi preview --policy-pack` and in unit tests.
 */
export interface PolicyInput {
    readonly type: string;
    readonly urn: string;
    readonly props: Record<string, any>;
}

/**
 * Reads a property that may not be known yet. During a preview @pulumi/policy hands rules a proxy
 * that throws on unknown values; a rule that can decide without the value asks for it this way.
 */
export function maybeKnown<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (error) {
        if ((error as Error | undefined)?.constructor?.name === "UnknownValueError") {
            return undefined;
        }
        throw error;
    }
}

/** The stack a resource belongs to, from its URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOf(urn: string): string {
    return urn.replace(/^urn:pulumi:/, "").split("::")[0] ?? "";
}
