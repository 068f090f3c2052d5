import * as assert from "node:assert/strict";
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, pulumiConfigSource } from "../../config";
import { cliConfigSource } from "../support/configAssertions";
import { failProgram } from "../support/program";

/** Stands for a password, token or credential; no output may contain it, in any case. */
const SENTINEL = "s3cr3t-SENTINEL-9f2";
const MONGO_URL = `mongodb://app:${SENTINEL}@mongo.shared.svc:27017/shop`;

const pr = { number: 123 };
/** A platform stack that is valid but for what a case adds. */
const platform = (monitoring: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
    ({ platform: { monitoring: { grafanaAdminPassword: "correct-horse-battery", ...monitoring }, ...rest } });
const environment = (overrides: Record<string, unknown>) =>
    ({ imageTag: "v1", environment: { name: "dev", strategy: { blueGreen: {} }, ...overrides } });
const canaryAnalysis = (template: string) => environment({ strategy: { canary: { steps: [{ analysis: { templates: [template] } }] } } });

/** One way config is refused, with a secret in it. */
interface Rejection {
    readonly what: string;
    readonly config: Record<string, unknown>;
    /** Keys the CLI holds as secrets. */
    readonly secretKeys?: readonly string[];
    /** The full key the problem is listed under. */
    readonly key: string;
    /** The "given" part of that problem, exactly. */
    readonly given?: string;
    /** What must not be shown. @default SENTINEL */
    readonly secret?: string;
}

const SECRET_GIVEN = `"[secret]"`;

const REJECTIONS: readonly Rejection[] = [
    // Everything under backends, whatever its shape.
    { what: "a misspelt backend", config: { pr, backends: { mongo: MONGO_URL } }, key: "rollout-stacks:backends.mongo", given: SECRET_GIVEN },
    { what: "a backend URL of the wrong scheme", config: { pr, backends: { mongodb: `http://app:${SENTINEL}@mongo:27017` } },
        key: "rollout-stacks:backends.mongodb", given: SECRET_GIVEN },
    { what: "a backend that is no URL", config: { pr, backends: { redis: SENTINEL } }, key: "rollout-stacks:backends.redis", given: SECRET_GIVEN },
    { what: "a backend whose secret comes before a colon", config: { pr, backends: { redis: `${SENTINEL}:6379` } },
        key: "rollout-stacks:backends.redis", given: SECRET_GIVEN },
    { what: "a backend given as an object", config: { pr, backends: { nats: { url: `nats://app:${SENTINEL}@nats:4222` } } },
        key: "rollout-stacks:backends.nats", given: SECRET_GIVEN },
    { what: "a backend given as a list", config: { pr, backends: { nats: [SENTINEL] } }, key: "rollout-stacks:backends.nats", given: SECRET_GIVEN },
    { what: "backends given as one URL (not JSON)", config: { pr, backends: MONGO_URL }, key: "rollout-stacks:backends", given: SECRET_GIVEN },
    { what: "backends given as a JSON string", config: { pr, backends: JSON.stringify(SENTINEL) }, key: "rollout-stacks:backends", given: SECRET_GIVEN },
    { what: "backends given as a list", config: { pr, backends: [MONGO_URL] }, key: "rollout-stacks:backends", given: SECRET_GIVEN },
    { what: "backends given as a number-keyed object", config: { pr, backends: { 0: SENTINEL } }, key: "rollout-stacks:backends.0", given: SECRET_GIVEN },
    { what: "a backend URL given as a key", config: { pr, backends: { [MONGO_URL]: true } },
        key: "rollout-stacks:backends.mongodb://[secret]@mongo.shared.svc:27017/shop" },

    // What the schema marks secret, and keys beside it.
    { what: "a Grafana password too short", config: platform({ grafanaAdminPassword: "9f2-SHORT" }), secret: "9f2-SHORT",
        key: "rollout-stacks:platform.monitoring.grafanaAdminPassword", given: SECRET_GIVEN },
    { what: "a Grafana password given as a list", config: platform({ grafanaAdminPassword: [SENTINEL] }),
        key: "rollout-stacks:platform.monitoring.grafanaAdminPassword", given: SECRET_GIVEN },
    { what: "a Grafana password given as an object", config: platform({ grafanaAdminPassword: { value: SENTINEL } }),
        key: "rollout-stacks:platform.monitoring.grafanaAdminPassword", given: SECRET_GIVEN },
    { what: "a misspelt grafanaAdminPassword", config: platform({ grafanaAdminPasword: SENTINEL }),
        key: "rollout-stacks:platform.monitoring.grafanaAdminPasword", given: SECRET_GIVEN },
    { what: "an unknown key beside grafanaAdminPassword", config: platform({ grafana: { adminPasswort: SENTINEL } }),
        key: "rollout-stacks:platform.monitoring.grafana", given: SECRET_GIVEN },
    { what: "a misspelt add-on that leads to the password", config: platform({}, { monitorin: { grafanaAdminPasword: SENTINEL } }),
        key: "rollout-stacks:platform.monitorin", given: SECRET_GIVEN },
    { what: "the monitoring block given as the password", config: { platform: { monitoring: SENTINEL } },
        key: "rollout-stacks:platform.monitoring", given: SECRET_GIVEN },
    { what: "the monitoring block given as a list", config: { platform: { monitoring: [SENTINEL] } },
        key: "rollout-stacks:platform.monitoring", given: SECRET_GIVEN },
    { what: "the platform given as text that is not JSON", config: { platform: SENTINEL }, key: "rollout-stacks:platform", given: SECRET_GIVEN },

    // Keys the schema does not name, whose names say they hold a credential.
    { what: "an unknown key named like a token", config: { pr: { ...pr, githubToken: SENTINEL } }, key: "rollout-stacks:pr.githubToken", given: SECRET_GIVEN },
    { what: "an unknown key named like a password", config: environment({ analysis: { prometheusPassword: SENTINEL } }),
        key: "rollout-stacks:environment.analysis.prometheusPassword", given: SECRET_GIVEN },
    { what: "an unknown key named like an API key", config: { pr: { ...pr, api_key: SENTINEL } }, key: "rollout-stacks:pr.api_key", given: SECRET_GIVEN },
    { what: "Helm values given as a list holding a password", config: platform({}, { argoCd: { values: [{ adminPassword: SENTINEL }] } }),
        key: "rollout-stacks:platform.argoCd.values", given: `[{"adminPassword":"[secret]"}]` },
    { what: "an image keyed like a secret", config: { pr, images: { "registry-password": SENTINEL } }, key: "rollout-stacks:images.registry-password", given: SECRET_GIVEN },

    // Credentials in URLs, anywhere.
    { what: "a Prometheus address with credentials", config: environment({ analysis: { prometheusAddress: `ftp://admin:${SENTINEL}@prom:9090` } }),
        key: "rollout-stacks:environment.analysis.prometheusAddress", given: `"ftp://[secret]@prom:9090"` },
    { what: "an ArgoCD repository with credentials", config: platform({}, { argoCd: { applications: [{ name: "shop", repoURL: `https://git:${SENTINEL}@github.com/acme/deploy .git`, path: ".", namespace: "shop" }] } }),
        key: "rollout-stacks:platform.argoCd.applications[0].repoURL", given: `"https://[secret]@github.com/acme/deploy .git"` },
    { what: "a password with an @ in a URL", config: { pr: { ...pr, mirror: `https://u:${SENTINEL}@x@mirror.example.com` } },
        key: "rollout-stacks:pr.mirror", given: `"https://[secret]@mirror.example.com"` },
    { what: "a URL with credentials quoted by a message", config: canaryAnalysis(`https://u:${SENTINEL}@x.example.com`),
        key: "rollout-stacks:environment.strategy.canary.steps[0].analysis.templates[0]" },
    { what: "a URL with credentials in config that is not JSON", config: { pr: `{number: 1, mirror: https://u:${SENTINEL}@x.example.com}` },
        key: "rollout-stacks:pr" },
    { what: "a URL with credentials as deployedAt", config: { pr, deployedAt: `https://u:${SENTINEL}@x.example.com` },
        key: "rollout-stacks:deployedAt", given: `"https://[secret]@x.example.com"` },
    { what: "a URL with credentials as the domain", config: { pr, domain: `https://u:${SENTINEL}@x.example.com` }, key: "rollout-stacks:domain" },

    // Keys the CLI holds as secrets: masked whole, and wherever a message quotes them.
    { what: "a secret pr with a bad domain", config: { pr: { ...pr, customDomain: `Bad.${SENTINEL}` } }, secretKeys: ["pr"],
        key: "rollout-stacks:pr.customDomain", given: SECRET_GIVEN },
    { what: "a secret pr naming an unknown service", config: { pr: { ...pr, services: [SENTINEL] } }, secretKeys: ["pr"],
        key: "rollout-stacks:pr.services[0]", given: SECRET_GIVEN },
    { what: "a secret pr that is not JSON", config: { pr: `{number: ${SENTINEL}` }, secretKeys: ["pr"], key: "rollout-stacks:pr", given: SECRET_GIVEN },
    { what: "a secret image without a tag", config: { pr, images: { "cart-service": `ghcr.io/acme/${SENTINEL}` } }, secretKeys: ["images"],
        key: "rollout-stacks:images.cart-service", given: SECRET_GIVEN },
    { what: "a secret deployedAt", config: { pr, deployedAt: SENTINEL }, secretKeys: ["deployedAt"], key: "rollout-stacks:deployedAt", given: SECRET_GIVEN },
    { what: "a secret environment quoted by a message", config: canaryAnalysis(SENTINEL), secretKeys: ["environment"],
        key: "rollout-stacks:environment.strategy.canary.steps[0].analysis.templates[0]", given: SECRET_GIVEN },
];

/** Everything `action` writes to stdout and stderr (console included) while it runs, and how it ended. */
async function capture(action: () => unknown): Promise<{ readonly error: unknown; readonly output: string }> {
    const written: string[] = [];
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((stream) => stream.write);
    streams.forEach((stream) => {
        stream.write = ((chunk: unknown) => {
            written.push(String(chunk));
            return true;
        }) as typeof stream.write;
    });
    try {
        await action();
        return { error: undefined, output: written.join("") };
    } catch (error) {
        return { error, output: written.join("") };
    } finally {
        streams.forEach((stream, index) => {
            stream.write = writes[index]!;
        });
    }
}

/** Every way the error can reach a log: its message, stack, problems and whole inspection, and what was written. */
function everythingShown(error: unknown, output: string): string {
    const shown = [String(error), inspect(error, { depth: null }), output];
    if (error instanceof Error) {
        shown.push(error.message, error.stack ?? "");
    }
    if (isConfigError(error)) {
        shown.push(JSON.stringify(error.problems));
    }
    return shown.join("\n");
}

function assertNotShown(shown: string, secret: string): void {
    assert.ok(!shown.toLowerCase().includes(secret.toLowerCase()), `${secret} is shown in:\n${shown}`);
}

/** A ConfigError, also one of a program run (which loads its own copy of config/). */
function isConfigError(error: unknown): error is ConfigError {
    return error instanceof Error && error.name === "ConfigError" && "problems" in error;
}

/** The problem line of `key` in a ConfigError's message. */
function lineOf(error: unknown, key: string): string {
    assert.ok(isConfigError(error), `expected a ConfigError, got ${String(error)}`);
    const line = error.message.split("\n").find((l) => l.startsWith(`  - ${key}: `));
    assert.ok(line, `no problem reported for ${key} in:\n${error.message}`);
    return line;
}

describe("config secrets", () => {
    describe("are never shown when config is refused", () => {
        for (const { what, config, secretKeys, key, given, secret } of REJECTIONS) {
            it(what, async () => {
                const { error, output } = await capture(() => loadConfig(cliConfigSource(config, secretKeys)));
                const line = lineOf(error, key);
                if (given !== undefined) {
                    assert.ok(line.endsWith(` (given: ${given})`), line);
                }
                assertNotShown(everythingShown(error, output), secret ?? SENTINEL);
            });
        }
    });

    describe("messages still say what is wrong", () => {
        it("a backend's scheme is named when the URL is written scheme://", async () => {
            const { error } = await capture(() => loadConfig(cliConfigSource({ pr, backends: { redis: `http://app:${SENTINEL}@redis:6379` } })));
            assert.match(lineOf(error, "rollout-stacks:backends.redis"), /the scheme http: is not one of redis:, rediss:/);
        });
        it("text before a colon is not quoted as a scheme: it may be the password", async () => {
            const { error } = await capture(() => loadConfig(cliConfigSource({ pr, backends: { redis: `${SENTINEL}:6379` } })));
            assert.match(lineOf(error, "rollout-stacks:backends.redis"), /expected a redis connection URL, but it does not start with redis:\/\/ or rediss:\/\//);
        });
        it("keys the schema names and does not mark secret are quoted as given", async () => {
            const { error } = await capture(() => loadConfig(cliConfigSource({ pr: { number: -1, tlsSecretName: "Bad_Name", mirror: "https://mirror.example.com" } })));
            assert.match(lineOf(error, "rollout-stacks:pr.number"), /\(given: -1\)$/);
            assert.match(lineOf(error, "rollout-stacks:pr.tlsSecretName"), /\(given: "Bad_Name"\)$/);
            assert.match(lineOf(error, "rollout-stacks:pr.mirror"), /\(given: "https:\/\/mirror\.example\.com"\)$/);
        });
        it("a quoted object keeps an e-mail address that follows a URL", async () => {
            const issuer = { name: "both", selfSigned: {}, acme: { server: "https://acme.example.com/directory", email: "ops@example.com" } };
            const { error } = await capture(() => loadConfig(cliConfigSource(platform({}, { certManager: { clusterIssuers: [issuer] } }))));
            assert.ok(lineOf(error, "rollout-stacks:platform.certManager.clusterIssuers[0]").endsWith(`(given: ${JSON.stringify(issuer)})`));
        });
        it("a URL's credentials are masked in a message that quotes it as JSON, escaped quotes and all", () => {
            const url = `https://u:"${SENTINEL}"@x.example.com`;
            const error = new ConfigError([{ key: "rollout-stacks:pr.number", message: `no such thing as ${JSON.stringify(url)}`, given: "nothing" }]);
            assert.match(error.message, /no such thing as "https:\/\/\[secret\]@x\.example\.com"/);
        });
        it("a ConfigError made without the config still masks credentials in URLs", () => {
            const error = new ConfigError([{ key: "rollout-stacks:pr.number", message: `see https://u:${SENTINEL}@x.example.com`, given: `"https://u:${SENTINEL}@x.example.com"` }]);
            assert.match(error.message, /see https:\/\/\[secret\]@x\.example\.com \(given: "https:\/\/\[secret\]@x\.example\.com"\)/);
            assertNotShown(everythingShown(error, ""), SENTINEL);
        });
    });

    describe("in a program run", () => {
        // The SDK's config store starts from these; the runs below set it themselves.
        const variables = ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"] as const;
        const saved = new Map<string, string | undefined>();
        before(() => variables.forEach((name) => {
            saved.set(name, process.env[name]);
            delete process.env[name];
        }));
        after(() => variables.forEach((name) => {
            const value = saved.get(name);
            if (value === undefined) {
                delete process.env[name];
            } else {
                process.env[name] = value;
            }
        }));

        it("reads the keys the CLI holds as secrets from the SDK, where the values come from", () => {
            pulumi.runtime.setAllConfig({ "rollout-stacks:pr": "{}", "rollout-stacks:domain": "shop.pilab.hu" }, ["rollout-stacks:pr"]);
            try {
                const source = pulumiConfigSource();
                assert.equal(source.isSecret("pr"), true);
                assert.equal(source.isSecret("domain"), false);
            } finally {
                pulumi.runtime.setAllConfig({}, []);
            }
        });
        it("masks the keys the CLI holds as secrets", async () => {
            const { error, output } = await capture(async () => {
                throw (await failProgram({ config: { pr: { ...pr, customDomain: `Bad.${SENTINEL}`, services: [SENTINEL] } }, secretKeys: ["pr"] })).error;
            });
            assert.match(lineOf(error, "rollout-stacks:pr.customDomain"), /\(given: "\[secret\]"\)$/);
            assert.match(lineOf(error, "rollout-stacks:pr.services[0]"), /no service named \[secret\] in services/);
            assertNotShown(everythingShown(error, output), SENTINEL);
        });
        it("quotes keys the CLI does not hold as secrets", async () => {
            const { error } = await capture(async () => {
                throw (await failProgram({ config: { pr: { ...pr, customDomain: "Bad.Domain" } } })).error;
            });
            assert.match(lineOf(error, "rollout-stacks:pr.customDomain"), /\(given: "Bad\.Domain"\)$/);
        });
        it("masks backends", async () => {
            const { error, output } = await capture(async () => {
                throw (await failProgram({ config: { pr, backends: { mongo: MONGO_URL } } })).error;
            });
            assert.match(lineOf(error, "rollout-stacks:backends.mongo"), /unknown key.*\(given: "\[secret\]"\)$/);
            assertNotShown(everythingShown(error, output), SENTINEL);
        });
    });
});
