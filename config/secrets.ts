import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ConfigProblem } from "./errors";

/**
 * What of the config is secret, and the one way a problem quotes the config: a ConfigError masks
 * every problem it lists through a {@link GivenConfig}. A value is secret when
 * - the CLI holds its top-level key as a secret;
 * - its schema, or an enclosing one, is marked with {@link secret} (whatever shape it was given in);
 * - the schema expects there an object that holds a secret, and got something else;
 * - the schema does not name its key, and that key either sits beside a key that is or leads to a
 *   secret (a misspelling of it, say) or sounds like a credential ({@link soundsSecret}).
 * Credentials in URLs (`scheme://user:pass@host`) are masked wherever they appear. Users read the
 * rule in the README's Config section.
 */

/** How a secret reads in a message. */
const SECRET_MARK = "[secret]";

/** A number of structured config as it was written (`1e400`), where the parsed value would not show it. */
export class WrittenNumber {
    constructor(readonly text: string) {}
}

/** Stands in for a {@link WrittenNumber} while a value is turned to JSON, then is replaced by its text, unquoted. */
const WRITTEN_NUMBER_MARK = `written-number-${randomUUID()}:`;
const WRITTEN_NUMBER_IN_JSON = new RegExp(`"${WRITTEN_NUMBER_MARK}([^"]*)"`, "g");

/** Schemas whose values are secret. */
const secretSchemas = z.registry<undefined>();

/** `schema`, marked secret: no message quotes a value it applies to, nor anything under it. */
export function secret<T extends z.ZodType>(schema: T): T {
    secretSchemas.add(schema);
    return schema;
}

type Schema = z.core.$ZodType;

/** The parts of a zod definition that say what is inside a value. */
interface Definition {
    readonly type: string;
    readonly innerType?: Schema;
    readonly in?: Schema;
    readonly out?: Schema;
    readonly getter?: () => Schema;
    readonly shape?: Readonly<Record<string, Schema>>;
    readonly valueType?: Schema;
    readonly element?: Schema;
    readonly options?: readonly Schema[];
}

function definition(schema: Schema): Definition {
    return schema._zod.def as unknown as Definition;
}

/** `schema` and what it wraps (optional, default, the checking side of a pipe, ...), outermost first. */
function layers(schema: Schema): Schema[] {
    const def = definition(schema);
    const inner = def.innerType
        ?? (def.type === "pipe" ? (definition(def.in!).type === "transform" ? def.out : def.in) : undefined)
        ?? (def.type === "lazy" ? def.getter!() : undefined);
    return inner === undefined ? [schema] : [schema, ...layers(inner)];
}

function isMarked(schema: Schema): boolean {
    return layers(schema).some((layer) => secretSchemas.has(layer));
}

/** The schemas a value of `schema` holds: object members, record values, array elements, union options. */
function contents(schema: Schema): Schema[] {
    const def = definition(layers(schema).at(-1)!);
    switch (def.type) {
        case "object": return Object.values(def.shape!);
        case "record": return [def.valueType!];
        case "array": return [def.element!];
        case "union": return [...def.options!];
        default: return [];
    }
}

const leadsToSecretCache = new WeakMap<Schema, boolean>();

/** True when `schema` is secret or holds something that is. */
function leadsToSecret(schema: Schema): boolean {
    let leads = leadsToSecretCache.get(schema);
    if (leads === undefined) {
        leads = isMarked(schema) || contents(schema).some(leadsToSecret);
        leadsToSecretCache.set(schema, leads);
    }
    return leads;
}

/** The schema of `key` inside a value of `schema`, and whether the schema names that key itself. */
function member(schema: Schema | undefined, key: PropertyKey): { readonly schema?: Schema; readonly named: boolean } {
    if (schema === undefined) {
        return { named: false };
    }
    const def = definition(layers(schema).at(-1)!);
    switch (def.type) {
        case "object":
            return typeof key === "string" && Object.hasOwn(def.shape!, key) ? { schema: def.shape![key], named: true } : { named: false };
        case "record":
            return { schema: def.valueType, named: false };
        case "array":
            return { schema: def.element, named: true };
        case "union": {
            const members = def.options!.map((option) => member(option, key));
            return members.find((m) => m.named) ?? members.find((m) => m.schema !== undefined) ?? { named: false };
        }
        default:
            return { named: false };
    }
}

/** Parts of a key's name, separators and case ignored, that say it holds a credential. */
const SECRET_NAME_PARTS = /passw|pasw|passphrase|pwd|secret|token|credential|apikey|privatekey/;
/** Words of a key's name (split at separators and camelCase) that say it holds a credential. */
const SECRET_NAME_WORDS = new Set(["pass", "key", "keys"]);

/** True when a key the schema does not name sounds like it holds a credential, e.g. `adminPassword`, `api_key`, `githubToken`. */
function soundsSecret(name: string): boolean {
    const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).map((word) => word.toLowerCase());
    return SECRET_NAME_PARTS.test(words.join("")) || words.some((word) => SECRET_NAME_WORDS.has(word));
}

const CREDENTIALS_IN_VALUE = /([a-z][a-z0-9+.-]*:\/\/)[\s\S]*@/i;
const CREDENTIALS_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)(?:[^\s"\\]|\\.)*@/gi;

/**
 * `text` with the user-info part of every `scheme://user:pass@host` URL masked. A value is one
 * datum, so everything up to its last `@` goes; in free text a URL ends at whitespace or at a
 * quote that is not escaped (the end of a JSON string).
 */
function withoutCredentials(text: string, within: "value" | "text"): string {
    return within === "value"
        ? text.replace(CREDENTIALS_IN_VALUE, `$1${SECRET_MARK}@`)
        : text.replace(CREDENTIALS_IN_TEXT, `$1${SECRET_MARK}@`);
}

/**
 * True when `value` at `place` is secret: the place is, or the schema expects there an object that
 * holds a secret and was given something else (which may be the secret itself, one level too high).
 */
function isSecretValue(value: unknown, place: Place): boolean {
    const object = value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof WrittenNumber);
    return place.secret || (!object && value !== undefined && place.schema !== undefined && leadsToSecret(place.schema));
}

/** Every string value in `value`; key names are not secret (they are how a problem is found). */
function stringsIn(value: unknown): string[] {
    if (typeof value === "string") {
        return [value];
    }
    return value !== null && typeof value === "object" && !(value instanceof WrittenNumber) ? Object.values(value).flatMap(stringsIn) : [];
}

/** Secret strings shorter than this are not searched for in messages (they would match everywhere); where they are given, they are masked all the same. */
const MIN_SCRUBBED_LENGTH = 4;

const QUOTE_LIMIT = 120;

/** Where a value sits in the config: whether it is secret, and the schema that applies to it, if any. */
interface Place {
    readonly secret: boolean;
    readonly schema?: Schema;
}

/**
 * The config as the CLI gave it, which problems quote only through {@link quote} and {@link mask}.
 * Keep it out of anything that is logged or thrown: it holds the secrets it masks.
 */
export class GivenConfig {
    /** No config at hand: only credentials in URLs are masked. */
    static readonly NONE = new GivenConfig(undefined, {}, new Set());

    private readonly secretStrings: RegExp | undefined;

    /**
     * @param schema the schema of the whole config, whose {@link secret} marks say what is secret
     * @param values top-level keys as given: structured ones parsed, or their text when it does not parse
     * @param cliSecrets top-level keys the CLI holds as secrets
     */
    constructor(
        private readonly schema: Schema | undefined,
        private readonly values: Readonly<Record<string, unknown>>,
        private readonly cliSecrets: ReadonlySet<string>,
    ) {
        const strings = new Set<string>();
        for (const [key, value] of Object.entries(values)) {
            this.collectSecretStrings(value, this.placeOf([key]), strings);
        }
        const searched = [...strings].filter((s) => s.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
        this.secretStrings = searched.length === 0
            ? undefined
            : new RegExp(searched.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
    }

    /** The value at `path` as a message may show it: JSON with every secret in it masked, or `nothing`. */
    quote(path: readonly PropertyKey[]): string {
        let value: unknown = this.values;
        for (const part of path) {
            value = value !== null && typeof value === "object" && Object.hasOwn(value, part)
                ? (value as Record<PropertyKey, unknown>)[part]
                : undefined;
        }
        if (value === undefined) {
            return "nothing";
        }
        const text = JSON.stringify(this.masked(value, this.placeOf(path))).replace(WRITTEN_NUMBER_IN_JSON, "$1");
        return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 3)}...` : text;
    }

    /**
     * `problem` as it may be shown: credentials in URLs masked throughout, and every secret string of
     * the config masked in its message and given, however they came to quote it. Key names are kept,
     * so that the problem can be found.
     */
    mask(problem: ConfigProblem): ConfigProblem {
        return {
            key: withoutCredentials(problem.key, "text"),
            message: this.scrub(problem.message),
            given: this.scrub(problem.given),
        };
    }

    private scrub(text: string): string {
        const masked = this.secretStrings === undefined ? text : text.replace(this.secretStrings, SECRET_MARK);
        return withoutCredentials(masked, "text");
    }

    private placeOf(path: readonly PropertyKey[]): Place {
        return path.reduce<Place>((place, key, depth) => {
            const inner = this.enter(place, key);
            return depth === 0 && this.cliSecrets.has(String(key)) ? { ...inner, secret: true } : inner;
        }, { secret: false, schema: this.schema });
    }

    /** The place of `key` inside a value at `place`. */
    private enter(place: Place, key: PropertyKey): Place {
        if (place.secret) {
            return place;
        }
        const { schema, named } = member(place.schema, key);
        const besideSecret = () => place.schema !== undefined && contents(place.schema).some(leadsToSecret);
        const secret = (schema !== undefined && isMarked(schema))
            || (!named && typeof key === "string" && (soundsSecret(key) || besideSecret()));
        return { secret, schema };
    }

    private masked(value: unknown, place: Place): unknown {
        if (isSecretValue(value, place)) {
            return SECRET_MARK;
        }
        if (typeof value === "string") {
            return withoutCredentials(value, "value");
        }
        if (value instanceof WrittenNumber) {
            return `${WRITTEN_NUMBER_MARK}${value.text}`;
        }
        if (Array.isArray(value)) {
            return value.map((item, index) => this.masked(item, this.enter(place, index)));
        }
        if (value !== null && typeof value === "object") {
            return Object.fromEntries(Object.entries(value).map(([key, item]) =>
                [withoutCredentials(key, "value"), this.masked(item, this.enter(place, key))]));
        }
        return value;
    }

    /** Every string in a secret value, and its JSON-escaped form, for masking wherever a message quotes it. */
    private collectSecretStrings(value: unknown, place: Place, strings: Set<string>): void {
        if (isSecretValue(value, place)) {
            for (const text of stringsIn(value)) {
                strings.add(text);
                strings.add(JSON.stringify(text).slice(1, -1));
            }
        } else if (Array.isArray(value)) {
            value.forEach((item, index) => this.collectSecretStrings(item, this.enter(place, index), strings));
        } else if (value !== null && typeof value === "object" && !(value instanceof WrittenNumber)) {
            Object.entries(value).forEach(([key, item]) => this.collectSecretStrings(item, this.enter(place, key), strings));
        }
    }
}
