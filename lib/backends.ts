import { hostBlock } from "./cidr";

/**
 * Connection URLs of the shared backing services (MongoDB, NATS, Redis). The URLs themselves are
 * secrets (they may carry credentials); where they point is not, and network policies need it.
 */

export const BACKEND_KINDS = ["mongodb", "nats", "redis"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** URL schemes each backend accepts, and the port a URL without one means. */
export const BACKEND_PROTOCOLS: Readonly<Record<BackendKind, { readonly schemes: readonly string[]; readonly defaultPort: number }>> = {
    mongodb: { schemes: ["mongodb:", "mongodb+srv:"], defaultPort: 27017 },
    nats: { schemes: ["nats:", "tls:"], defaultPort: 4222 },
    redis: { schemes: ["redis:", "rediss:"], defaultPort: 6379 },
};

/** The environment variable that carries a backend's URL into the app container. */
export const BACKEND_URL_ENV: Readonly<Record<BackendKind, string>> = {
    mongodb: "MONGODB_URL",
    nats: "NATS_URL",
    redis: "REDIS_URL",
};

/**
 * Where a backend lives, for egress policies: an in-cluster Service's namespace, or IP blocks (the
 * URL's own address when it is one, else what `backendNetworks` gives). Never a silent "anywhere".
 */
export type BackendEndpoint = {
    /** Which backing service it is. */
    readonly kind: BackendKind;
    /** Host name or address of the URL. */
    readonly host: string;
    /** TCP port pods may reach it on. */
    readonly port: number;
} & ({
    /** Namespace of an in-cluster Service host (`<svc>.<ns>.svc[.cluster.local]`). */
    readonly namespace: string;
} | {
    /** IP blocks the backend's addresses are in. */
    readonly cidrs: readonly string[];
});

/** A URL written `scheme://...`; only from such a value is the scheme quoted back, as text before a colon may be a password. */
const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Why `url` is no URL for `kind`, or undefined when it is one. Whitespace is refused outright:
 * the URL parser forgives it around a URL, but the value reaches the apps as it was given, and
 * their drivers do not (a trailing newline from a file or a heredoc is the usual way in).
 */
export function backendUrlProblem(kind: BackendKind, url: string): string | undefined {
    if (/\s/.test(url)) {
        return "it contains whitespace (a trailing newline, say), which the apps' drivers would not forgive; set it again without, e.g. " +
            `pulumi config set --secret --path backends.${kind} "$(cat url-file)" (the shell drops the file's trailing newline)`;
    }
    if (!SCHEME_AND_AUTHORITY.test(url)) {
        return `it does not start with ${BACKEND_PROTOCOLS[kind].schemes.map((scheme) => `${scheme}//`).join(" or ")}`;
    }
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "it is not a URL";
    }
    const { schemes } = BACKEND_PROTOCOLS[kind];
    if (!schemes.includes(parsed.protocol)) {
        return `the scheme ${parsed.protocol} is not one of ${schemes.join(", ")}`;
    }
    return parsed.hostname === "" ? "it names no host" : undefined;
}

/**
 * Host, port and reach of a valid backend URL: `networks` (the user's `backendNetworks.<kind>`)
 * when given, else the namespace of a `<svc>.<ns>.svc[.cluster.local]` host, else the address of an
 * IP literal host. Undefined for a name outside the cluster with no `networks`: its addresses are
 * unknown here, and only the user may say "anywhere".
 */
export function backendEndpoint(kind: BackendKind, url: string, networks?: readonly string[]): BackendEndpoint | undefined {
    const parsed = new URL(url);
    const host = parsed.hostname;
    const port = parsed.port === "" ? BACKEND_PROTOCOLS[kind].defaultPort : Number(parsed.port);
    if (networks !== undefined && networks.length > 0) {
        return { kind, host, port, cidrs: networks };
    }
    const inCluster = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(host)?.[1];
    if (inCluster !== undefined) {
        return { kind, host, port, namespace: inCluster };
    }
    const address = hostBlock(host);
    return address === undefined ? undefined : { kind, host, port, cidrs: [address] };
}
