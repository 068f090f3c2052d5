import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { load as parseYaml } from "js-yaml";
import { ConfigError, loadConfig } from "../../config";
import { unknownSubscriptionServices } from "../../config/environment";
import { ProgressiveService, ProgressiveServiceArgs, RolloutNotifications } from "../../components";
import { argoRolloutsValues } from "../../components/argoRolloutsController";
import {
    NOTIFICATION_CONFIGMAP, NOTIFICATION_SECRET, NOTIFICATION_TRIGGER_NAMES, notificationConfigData, PREVIOUS_IMAGE_ANNOTATION,
    subscriptionAnnotations, templateName,
} from "../../lib/notifications";
import { assertConfigRejected, cliConfigSource, loadFrom } from "../support/configAssertions";
import { mockComponents, Mocked } from "../support/components";
import { isSecretValue, revealSecrets, runProgram } from "../support/program";

/** Stands for a webhook URL's token, a header value or a Slack token; no message may show it. */
const SENTINEL = "n0tify-SENTINEL-4e1";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
const CHART = "kubernetes:helm.sh/v4:Chart";

const webhooks = { ops: { url: `https://hooks.example.com/releases/${SENTINEL}`, headers: { Authorization: `Bearer ${SENTINEL}` } } };
const slack = { token: `xoxb-${SENTINEL}` };

/** A stack with an environment and a platform whose rollouts controller has the given notifications. */
function stack(notifications: unknown, subscriptions: unknown = [], argoRollouts: Record<string, unknown> = { installVia: "external" }): Record<string, unknown> {
    return {
        imageTag: "v1",
        environment: { name: "prod", strategy: { blueGreen: {} }, notifications: { subscriptions } },
        platform: {
            argoRollouts: { ...argoRollouts, notifications },
            argoCd: { enabled: false }, monitoring: { enabled: false }, certManager: { enabled: false },
        },
    };
}

/** The ConfigError of `config`, with the sentinel nowhere in its message or problems. */
function rejected(config: Record<string, unknown>, secretKeys: readonly string[] = []): ConfigError {
    try {
        loadConfig(cliConfigSource(config, secretKeys));
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        assert.ok(!error.message.includes(SENTINEL), `the message shows the secret:\n${error.message}`);
        assert.ok(!JSON.stringify(error.problems).includes(SENTINEL), "the problems show the secret");
        return error;
    }
    assert.fail("the config was accepted");
}

function problem(error: ConfigError, key: string): string {
    const found = error.problems.find((p) => p.key === key);
    assert.ok(found, `no problem under ${key} in:\n${error.message}`);
    return `${found.message} (given: ${found.given})`;
}

describe("notifications", () => {
    describe("what the controller reads (lib/notifications.ts)", () => {
        const data = notificationConfigData({ webhooks: [{ name: "ops", headerNames: ["Authorization"] }], slack: { apiUrl: "https://chat.example.com/api/" } });

        it("defines every trigger, each sending its own template, and refers to secrets only by Secret key", () => {
            for (const trigger of NOTIFICATION_TRIGGER_NAMES) {
                const conditions = parseYaml(data[`trigger.${trigger}`]!) as { send: string[] }[];
                assert.deepEqual(conditions.map((c) => c.send), [[templateName(trigger)]]);
                assert.ok(data[`template.${templateName(trigger)}`] !== undefined, `no template for ${trigger}`);
            }
            assert.deepEqual(parseYaml(data["service.webhook.ops"]!), { url: "$webhook-ops-url", headers: [{ name: "Authorization", value: "$webhook-ops-header-0" }] });
            assert.deepEqual(parseYaml(data["service.slack"]!), { token: "$slack-token", apiURL: "https://chat.example.com/api/" });
        });

        it("has each template POST JSON to every webhook, and attachments for Slack, naming the service, images and reason", () => {
            const aborted = parseYaml(data[`template.${templateName("on-rollout-aborted")}`]!) as
                { message: string; webhook: Record<string, { method: string; body: string }>; slack: { attachments: string } };
            assert.deepEqual(Object.keys(aborted.webhook), ["ops"]);
            assert.equal(aborted.webhook.ops!.method, "POST");
            for (const field of [`"service": {{ toJson .rollout.metadata.name }}`, `"image": {{ toJson $image }}`, `"previousImage":`, `"reason":`]) {
                assert.ok(aborted.webhook.ops!.body.includes(field), `the body has no ${field}`);
            }
            assert.match(aborted.message, /\{\{ \.rollout\.metadata\.name \}\} in \{\{ \.rollout\.metadata\.namespace \}\}: release aborted/);
            assert.ok(aborted.message.includes(PREVIOUS_IMAGE_ANNOTATION), "the old image comes from the Rollout's annotation");
            assert.match(aborted.slack.attachments, /"title": "Reason"/);
            const step = parseYaml(data[`template.${templateName("on-rollout-step-completed")}`]!) as { webhook: Record<string, { body: string }> };
            assert.match(step.webhook.ops!.body, /"step": \{\{ if lt \$stepIndex \(len \$steps\) \}\}\{ "number": \{\{ add1 \$stepIndex \}\}/);
        });

        it("gives the aborted trigger a condition on the recorded abort, other triggers none", () => {
            const when = (trigger: string) => (parseYaml(data[`trigger.${trigger}`]!) as { when?: string }[])[0]!.when;
            assert.equal(when("on-rollout-completed"), undefined);
            assert.equal(when("on-analysis-run-failed"), undefined);
            assert.equal(when("on-rollout-step-completed"), undefined);
            // What the condition decides is proven with the controller's own evaluator (test/rules).
            assert.match(when("on-rollout-aborted")!, /rollout\.status\.abort != true/);
        });

        it("subscribes with one annotation per trigger and service, joining Slack channels with ;", () => {
            assert.deepEqual(subscriptionAnnotations([
                { trigger: "on-rollout-aborted", service: "ops" },
                { trigger: "on-rollout-aborted", service: "slack", recipient: "releases" },
                { trigger: "on-rollout-aborted", service: "slack", recipient: "oncall" },
            ]), {
                "notifications.argoproj.io/subscribe.on-rollout-aborted.ops": "",
                "notifications.argoproj.io/subscribe.on-rollout-aborted.slack": "releases;oncall",
            });
        });
    });

    describe("config", () => {
        it("accepts webhooks and Slack with their secrets and the environment's subscriptions", () => {
            const config = loadFrom(stack({ webhooks, slack }, [
                { trigger: "on-rollout-completed", service: "ops" }, { trigger: "on-rollout-aborted", service: "slack", recipient: "releases" },
            ]));
            assert.deepEqual(config.environment?.notifications.subscriptions.map((s) => [s.trigger, s.service]),
                [["on-rollout-completed", "ops"], ["on-rollout-aborted", "slack"]]);
            assert.ok(config.platform?.argoRollouts.enabled && config.platform.argoRollouts.notifications?.webhooks.ops !== undefined);
        });

        it("refuses an unknown trigger, naming the key and the triggers there are", () => {
            assertConfigRejected(stack({ webhooks }, [{ trigger: "on-rollout-finished", service: "ops" }]),
                "rollout-stacks:environment.notifications.subscriptions[0].trigger", /no trigger named "on-rollout-finished"/, /on-rollout-completed, on-rollout-aborted/);
        });

        it("refuses a Slack subscription without a channel and a webhook one with a recipient", () => {
            assertConfigRejected(stack({ slack }, [{ trigger: "on-rollout-aborted", service: "slack" }]),
                "rollout-stacks:environment.notifications.subscriptions[0].recipient", /Slack needs a channel/);
            assertConfigRejected(stack({ webhooks }, [{ trigger: "on-rollout-aborted", service: "ops", recipient: "x" }]),
                "rollout-stacks:environment.notifications.subscriptions[0].recipient", /takes no recipient/);
        });

        it("names a subscription's unknown service with the services the platform defines", () => {
            assertConfigRejected(stack({ webhooks }, [{ trigger: "on-rollout-aborted", service: "opps" }]),
                "rollout-stacks:environment.notifications.subscriptions[0].service", /no notification service named opps in platform\.argoRollouts\.notifications; known: ops/);
            assert.deepEqual(unknownSubscriptionServices({ notifications: { subscriptions: [{ trigger: "on-rollout-aborted", service: "opps" }] } }, ["ops"]), [{
                path: ["environment", "notifications", "subscriptions", 0, "service"],
                message: "no notification service named opps in platform.argoRollouts.notifications; known: ops",
            }]);
            assert.deepEqual(unknownSubscriptionServices(loadFrom(stack({ webhooks }, [{ trigger: "on-rollout-aborted", service: "ops" }])).environment!, ["ops"]), []);
            assert.deepEqual(unknownSubscriptionServices({ notifications: { subscriptions: [{ trigger: "on-rollout-aborted", service: "ops" }] } }, []), [{
                path: ["environment", "notifications", "subscriptions", 0, "service"],
                message: "no notification service named ops in platform.argoRollouts.notifications; known: none (set platform.argoRollouts.notifications)",
            }]);
        });

        it("refuses a plain-http webhook URL unless it is on the loopback address, without showing the URL", () => {
            const error = rejected(stack({ webhooks: { ops: { url: `http://hooks.example.com/${SENTINEL}` } } }));
            assert.match(problem(error, "rollout-stacks:platform.argoRollouts.notifications.webhooks.ops.url"),
                /expected an https:\/\/ URL .*plain http is allowed only to 127\.0\.0\.1 or localhost.*given: "\[secret\]"/);
            loadFrom(stack({ webhooks: { ops: { url: `http://127.0.0.1:8080/${SENTINEL}` } } }));
        });

        it("refuses a URL that is none, a bad header name, a webhook named slack, and an empty token, never quoting a secret", () => {
            const error = rejected(stack({
                webhooks: { ops: { url: SENTINEL, headers: { "Bad Header": SENTINEL } }, slack: { url: `https://x.example.com/${SENTINEL}` } },
                slack: { token: "" },
            }));
            assert.match(problem(error, "rollout-stacks:platform.argoRollouts.notifications.webhooks.ops.url"), /expected an https:\/\/ URL/);
            assert.match(problem(error, "rollout-stacks:platform.argoRollouts.notifications.webhooks.ops.headers.Bad Header"), /expected an HTTP header name/);
            assert.match(problem(error, "rollout-stacks:platform.argoRollouts.notifications.webhooks.slack"), /names the Slack service/);
            assert.match(problem(error, "rollout-stacks:platform.argoRollouts.notifications.slack.token"), /expected a Slack bot token/);
        });

        it("refuses notifications on a rollouts controller that is off", () => {
            const config = stack({ webhooks });
            (config.platform as { argoRollouts: Record<string, unknown> }).argoRollouts.enabled = false;
            assertConfigRejected(config, "rollout-stacks:platform.argoRollouts.notifications", /argoRollouts is off/);
        });
    });

    describe("the components on mocks", () => {
        let mocked: Mocked;
        beforeEach(async () => {
            mocked = await mockComponents();
        });
        afterEach(async () => {
            await mocked.settled();
        });

        it("keeps URLs, header values and the token in the controller's Secret as Pulumi secrets, and writes the ConfigMap", async () => {
            const notifications = new RolloutNotifications("n", { namespace: "argo-rollouts", webhooks, slack, configMap: "component" });
            assert.deepEqual(notifications.serviceNames, ["ops", "slack"]);
            await mocked.settled();
            const secret = mocked.named(SECRET, NOTIFICATION_SECRET);
            assert.equal(secret.inputs.metadata.namespace, "argo-rollouts");
            assert.ok(isSecretValue(secret.inputs.stringData), "the Secret's values are a Pulumi secret");
            const values = revealSecrets(secret.inputs.stringData) as Record<string, unknown>;
            assert.deepEqual(values, {
                "webhook-ops-url": webhooks.ops.url, "webhook-ops-header-0": webhooks.ops.headers.Authorization, "slack-token": slack.token,
            });
            const configMap = mocked.named(CONFIG_MAP, NOTIFICATION_CONFIGMAP);
            assert.ok(!JSON.stringify(configMap.inputs).includes(SENTINEL), "the ConfigMap holds no secret");
            assert.deepEqual(Object.keys(configMap.inputs.data).filter((k) => k.startsWith("trigger.")).sort(),
                NOTIFICATION_TRIGGER_NAMES.map((t) => `trigger.${t}`).sort());
        });

        it("leaves the ConfigMap to the chart when the chart writes one", async () => {
            new RolloutNotifications("n", { namespace: "argo-rollouts", webhooks, configMap: "chart" });
            await mocked.settled();
            assert.equal(mocked.ofType(CONFIG_MAP).length, 0);
            assert.equal(mocked.ofType(SECRET).length, 1);
            const values = argoRolloutsValues(false, {}, { webhooks }) as { notifications: Record<string, any> };
            assert.deepEqual(values.notifications.configmap, { create: true });
            assert.deepEqual(values.notifications.secret, { create: false });
            assert.deepEqual(Object.keys(values.notifications.notifiers), ["service.webhook.ops"]);
            assert.ok(!JSON.stringify(values).includes(SENTINEL), "no secret goes into Helm values");
        });

        it("refuses no services and a webhook that cannot be subscribed to by name", () => {
            const refuses = (construct: () => unknown, message: RegExp) => assert.throws(construct, (error: unknown) =>
                error instanceof pulumi.ResourceError && message.test(error.message));
            refuses(() => new RolloutNotifications("none", { namespace: "x", configMap: "component" }), /neither webhooks nor slack is given/);
            refuses(() => new RolloutNotifications("bad", { namespace: "x", webhooks: { "Ops Team": webhooks.ops }, configMap: "component" }),
                /webhooks has a service named "Ops Team"; name it with lowercase letters/);
            refuses(() => new RolloutNotifications("slack", { namespace: "x", webhooks: { slack: webhooks.ops }, configMap: "component" }),
                /other than slack/);
        });

        const service: ProgressiveServiceArgs = {
            namespace: "prod", image: "ghcr.io/acme/cart-service:v2", host: "shop.example.com", tls: { secretName: "tls" },
            strategy: { canary: { steps: [{ setWeight: 20 }], maxSurge: "25%", maxUnavailable: 0, dynamicStableScale: false } },
            service: {
                name: "cart-service", image: "ghcr.io/acme/cart-service", port: 8080, healthPath: "/healthz", replicas: 2,
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            },
        };

        it("writes the deadline, the rollback window, the subscriptions and the previous image on the Rollout", async () => {
            new ProgressiveService("cart", {
                ...service, progressDeadline: { seconds: 600, abort: true }, rollbackWindow: 3, previousImage: "ghcr.io/acme/cart-service:v1",
                notifications: [{ trigger: "on-rollout-completed", service: "ops" }],
            });
            await mocked.settled();
            const rollout = mocked.named(ROLLOUT, "cart-service");
            assert.deepEqual([rollout.inputs.spec.progressDeadlineSeconds, rollout.inputs.spec.progressDeadlineAbort, rollout.inputs.spec.rollbackWindow],
                [600, true, { revisions: 3 }]);
            assert.equal(rollout.inputs.metadata.annotations["notifications.argoproj.io/subscribe.on-rollout-completed.ops"], "");
            assert.equal(rollout.inputs.metadata.annotations[PREVIOUS_IMAGE_ANNOTATION], "ghcr.io/acme/cart-service:v1");
        });

        it("writes none of them by default", async () => {
            new ProgressiveService("cart", service);
            await mocked.settled();
            const rollout = mocked.named(ROLLOUT, "cart-service");
            assert.deepEqual([rollout.inputs.spec.progressDeadlineSeconds, rollout.inputs.spec.progressDeadlineAbort, rollout.inputs.spec.rollbackWindow],
                [undefined, undefined, undefined]);
            assert.deepEqual(Object.keys(rollout.inputs.metadata.annotations).filter((k) => k.startsWith("notifications.") || k === PREVIOUS_IMAGE_ANNOTATION), []);
        });

        it("refuses a rollback window beyond the revisions kept and a deadline that is no whole number", () => {
            const refuses = (construct: () => unknown, message: RegExp) => assert.throws(construct, (error: unknown) =>
                error instanceof pulumi.ResourceError && message.test(error.message));
            refuses(() => new ProgressiveService("window", { ...service, rollbackWindow: 4, revisionHistoryLimit: 3 }),
                /rollbackWindow must be a whole number from 1 to revisionHistoryLimit \(3\), got 4/);
            refuses(() => new ProgressiveService("deadline", { ...service, progressDeadline: { seconds: 1.5, abort: false } }),
                /progressDeadline.seconds must be a whole number of at least 1, got 1.5/);
        });
    });

    describe("the platform stack", () => {
        it("puts the services in the chart's ConfigMap and their secrets in a Secret beside it when the stack installs the controller", async () => {
            const run = await runProgram({
                stack: "dev",
                config: {
                    imageTag: "v1",
                    platform: {
                        argoRollouts: { notifications: { webhooks }, networkPolicies: { notificationServers: ["203.0.113.0/24"] } },
                        argoCd: { enabled: false }, monitoring: { enabled: false }, certManager: { enabled: false },
                    },
                },
                secretKeys: ["platform"],
            });
            const egress = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "rollout-stacks-allow-notifications")!;
            assert.deepEqual(egress.inputs.spec.egress, [{ to: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }], "the controller reaches its notification services, and only them");
            const chart = run.ofType(CHART).find((c) => c.inputs.chart === "argo-rollouts")!;
            const values = revealSecrets(chart.inputs.values) as { notifications: { notifiers: Record<string, string> } };
            assert.deepEqual(Object.keys(values.notifications.notifiers), ["service.webhook.ops"]);
            assert.ok(!JSON.stringify(values).includes(SENTINEL));
            assert.equal(run.named(SECRET, NOTIFICATION_SECRET).inputs.metadata.namespace, "argo-rollouts");
            assert.equal(run.ofType(CONFIG_MAP).filter((c) => c.inputs.metadata.name === NOTIFICATION_CONFIGMAP).length, 0);
            assert.deepEqual(run.outputs.platform.argoRollouts.notificationServices, ["ops"]);
        });

        it("writes both ConfigMap and Secret into an external controller's namespace", async () => {
            const run = await runProgram({ stack: "dev", config: stack({ webhooks }, [{ trigger: "on-rollout-aborted", service: "ops" }]), secretKeys: ["platform"] });
            assert.equal(run.named(CONFIG_MAP, NOTIFICATION_CONFIGMAP).inputs.metadata.namespace, "argo-rollouts");
            assert.equal(run.named(SECRET, NOTIFICATION_SECRET).inputs.metadata.namespace, "argo-rollouts");
            const rollouts = run.ofType(ROLLOUT);
            assert.ok(rollouts.length > 0);
            for (const rollout of rollouts) {
                assert.equal(rollout.inputs.metadata.annotations["notifications.argoproj.io/subscribe.on-rollout-aborted.ops"], "");
            }
        });
    });
});
