import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    NOTIFICATION_CONFIGMAP, NOTIFICATION_SECRET, notificationConfigData, NotificationServices, secretKeys, serviceEntries, SLACK_SERVICE,
    triggerAndTemplateEntries,
} from "../lib/notifications";

/** A webhook the controller POSTs JSON to. */
export interface NotificationWebhookArgs {
    /** Where to POST; kept in the Secret. */
    readonly url: pulumi.Input<string>;
    /** Headers sent with every request, by name; the values are kept in the Secret. @default none */
    readonly headers?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** Slack, or a Slack-compatible API. */
export interface NotificationSlackArgs {
    /** Bot token; kept in the Secret. */
    readonly token: pulumi.Input<string>;
    /** API base URL. @default Slack's own */
    readonly apiUrl?: string;
    /** Name messages are posted as. @default the bot's */
    readonly username?: string;
}

export interface RolloutNotificationsArgs {
    /** The controller's namespace: the only one it reads its notification config from. It must exist. */
    readonly namespace: pulumi.Input<string>;
    /** Webhooks by service name (what Rollouts subscribe with). @default none */
    readonly webhooks?: Readonly<Record<string, NotificationWebhookArgs>>;
    /** The `slack` service. @default none */
    readonly slack?: NotificationSlackArgs;
    /**
     * Who writes the ConfigMap: `component` creates it; `chart` leaves it to the argo-rollouts chart,
     * which creates one of that name anyway, with {@link notificationChartValues} (a second writer of
     * the same object would fight it). The Secret is always this component's.
     */
    readonly configMap: "component" | "chart";
}

/**
 * Argo Rollouts' notification config (docs/progressive-delivery.md, "Notifications"): the Secret
 * with the services' URLs, header values and tokens, and unless the chart writes it, the ConfigMap
 * with the services, every trigger this program defines and its templates.
 */
export class RolloutNotifications extends pulumi.ComponentResource {
    public readonly secret: k8s.core.v1.Secret;
    public readonly configMap?: k8s.core.v1.ConfigMap;
    /** What Rollouts may subscribe to. */
    public readonly serviceNames: readonly string[];

    constructor(name: string, args: RolloutNotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rollout-stacks:platform:RolloutNotifications", name, {}, opts);
        for (const service of Object.keys(args.webhooks ?? {})) {
            if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(service) || service.length > 63 || service === SLACK_SERVICE) {
                throw new pulumi.ResourceError(`webhooks has a service named ${JSON.stringify(service)}; name it with lowercase letters, digits and '-' ` +
                    `(at most 63), other than ${SLACK_SERVICE}, as Rollouts subscribe to it by that name`, this);
            }
        }
        const services = notificationServices(args);
        if (services.webhooks.length === 0 && services.slack === undefined) {
            throw new pulumi.ResourceError("neither webhooks nor slack is given, so there is nothing to notify; give at least one service", this);
        }
        this.serviceNames = [...services.webhooks.map((webhook) => webhook.name), ...(services.slack === undefined ? [] : [SLACK_SERVICE])];

        const stringData: Record<string, pulumi.Input<string>> = {};
        for (const [service, webhook] of Object.entries(args.webhooks ?? {})) {
            stringData[secretKeys.webhookUrl(service)] = pulumi.secret(webhook.url);
            Object.values(webhook.headers ?? {}).forEach((value, index) => {
                stringData[secretKeys.webhookHeader(service, index)] = pulumi.secret(value);
            });
        }
        if (args.slack !== undefined) {
            stringData[secretKeys.slackToken] = pulumi.secret(args.slack.token);
        }
        const labels = { "app.kubernetes.io/part-of": "argo-rollouts", "app.kubernetes.io/managed-by": "pulumi" };
        this.secret = new k8s.core.v1.Secret(`${name}-secret`, {
            metadata: { name: NOTIFICATION_SECRET, namespace: args.namespace, labels },
            type: "Opaque",
            stringData,
        }, { parent: this });

        if (args.configMap === "component") {
            this.configMap = new k8s.core.v1.ConfigMap(`${name}-config`, {
                metadata: { name: NOTIFICATION_CONFIGMAP, namespace: args.namespace, labels },
                data: notificationConfigData(services),
            }, { parent: this });
        }
        this.registerOutputs({ serviceNames: this.serviceNames });
    }
}

/** The services as the ConfigMap names them; secrets stay out. */
function notificationServices(args: Pick<RolloutNotificationsArgs, "webhooks" | "slack">): NotificationServices {
    return {
        webhooks: Object.entries(args.webhooks ?? {}).map(([name, webhook]) => ({ name, headerNames: Object.keys(webhook.headers ?? {}) })),
        ...(args.slack === undefined ? {} : { slack: { apiUrl: args.slack.apiUrl, username: args.slack.username } }),
    };
}

/**
 * The argo-rollouts chart's values that make its ConfigMap the one {@link RolloutNotifications}
 * would write (`configMap: "chart"`), and keep the chart from writing the Secret.
 */
export function notificationChartValues(args: Pick<RolloutNotificationsArgs, "webhooks" | "slack">): Record<string, unknown> {
    const services = notificationServices(args);
    const { templates, triggers } = triggerAndTemplateEntries(services);
    return { notifications: { configmap: { create: true }, secret: { create: false }, notifiers: serviceEntries(services), templates, triggers } };
}
