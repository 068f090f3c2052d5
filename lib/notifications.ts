/**
 * What Argo Rollouts' notification engine reads, built from the platform's services and the
 * environments' subscriptions (docs/progressive-delivery.md, "Notifications"). The controller has no
 * triggers or templates of its own: every trigger an environment may subscribe to is defined here,
 * with the templates it sends, in this project's wording.
 *
 * The controller names a trigger after the event it raises on a Rollout (`RolloutAborted` fires
 * `on-rollout-aborted`), and renders templates (Go text/template with sprig) over `rollout`, the
 * Rollout as the controller saw it before the event, and `analysisRuns`, the newest revision's
 * AnalysisRuns, newest first.
 */

/** The ConfigMap and Secret the controller reads from its own namespace; their names are fixed. */
export const NOTIFICATION_CONFIGMAP = "argo-rollouts-notification-configmap";
export const NOTIFICATION_SECRET = "argo-rollouts-notification-secret";

/** The annotation prefix a Rollout subscribes with: `<prefix>.<trigger>.<service>: <recipients>`. */
export const SUBSCRIBE_ANNOTATION_PREFIX = "notifications.argoproj.io/subscribe";

/**
 * The image the service ran before its current one, written on the Rollout by the program so that
 * a notification can say what a release replaced (the Rollout itself keeps only its new template).
 */
export const PREVIOUS_IMAGE_ANNOTATION = "rollout-stacks.io/previous-image";

/** The Slack service's name; a webhook may not take it. */
export const SLACK_SERVICE = "slack";

/** The triggers this program defines, by name, with what each announces. */
export const NOTIFICATION_TRIGGERS = {
    "on-rollout-completed": "a release finished: every step done and the new revision is stable",
    "on-rollout-aborted": "a release was aborted, by a failed analysis, its progress deadline or a person; traffic is back on the stable revision",
    "on-analysis-run-failed": "an analysis of a release failed",
    "on-rollout-step-completed": "a canary step finished",
} as const;

export type NotificationTrigger = keyof typeof NOTIFICATION_TRIGGERS;
export const NOTIFICATION_TRIGGER_NAMES = Object.keys(NOTIFICATION_TRIGGERS) as [NotificationTrigger, ...NotificationTrigger[]];

/** A webhook service as the ConfigMap names it; its URL and header values live in the Secret. */
export interface WebhookService {
    readonly name: string;
    /** Header names, in the order their values are stored in the Secret. */
    readonly headerNames: readonly string[];
}

/** The Slack service as the ConfigMap names it; its token lives in the Secret. */
export interface SlackService {
    /** A Slack-compatible API's base URL (`https://slack.com/api/` unless given). */
    readonly apiUrl?: string;
    /** The name messages are posted as. */
    readonly username?: string;
}

export interface NotificationServices {
    readonly webhooks: readonly WebhookService[];
    readonly slack?: SlackService;
}

/** One subscription of an environment's Rollouts: a trigger, a service, and for Slack the channel(s). */
export interface NotificationSubscription {
    readonly trigger: NotificationTrigger;
    readonly service: string;
    /** Slack channels separated by `;`; webhooks take none. */
    readonly recipient?: string;
}

/** Keys of the Secret: the notification engine substitutes `$<key>` in a service's settings. */
export const secretKeys = {
    webhookUrl: (service: string) => `webhook-${service}-url`,
    webhookHeader: (service: string, index: number) => `webhook-${service}-header-${index}`,
    slackToken: "slack-token",
} as const;

/** Every service name subscriptions may use. */
export function serviceNames(services: NotificationServices): string[] {
    return [...services.webhooks.map((webhook) => webhook.name), ...(services.slack === undefined ? [] : [SLACK_SERVICE])];
}

/** The Rollout annotations of `subscriptions`; recipients of the same trigger and service are joined with `;`. */
export function subscriptionAnnotations(subscriptions: readonly NotificationSubscription[]): Record<string, string> {
    const annotations: Record<string, string> = {};
    for (const { trigger, service, recipient } of subscriptions) {
        const key = `${SUBSCRIBE_ANNOTATION_PREFIX}.${trigger}.${service}`;
        const recipients = [annotations[key], recipient].filter((part): part is string => part !== undefined && part !== "");
        annotations[key] = recipients.join(";");
    }
    return annotations;
}

/**
 * Go-template snippets over the notification's variables. `$image`, `$previous`, `$reason` and the
 * step variables are defined by {@link PREAMBLE} at the top of every template.
 */
const PREAMBLE = [
    `{{- $image := "" -}}{{- range .rollout.spec.template.spec.containers }}{{ if not $image }}{{ $image = .image }}{{ end }}{{ end -}}`,
    `{{- $previous := "" -}}{{- with .rollout.metadata.annotations }}{{ $previous = index . "${PREVIOUS_IMAGE_ANNOTATION}" | default "" }}{{ end -}}`,
    // The reason a release stopped: a failed (or errored) analysis and the metrics that failed it,
    // else a progress deadline that ran out, else the Rollout's own message.
    `{{- $reason := "" -}}`,
    `{{- with .analysisRuns }}{{ with index . 0 }}{{ if or (eq .status.phase "Failed") (eq .status.phase "Error") -}}`,
    `{{- $failed := list }}{{ range .status.metricResults }}{{ if or (eq .phase "Failed") (eq .phase "Error") }}{{ $last := "" }}{{ with .measurements }}{{ $last = (index . (sub (len .) 1)).value | trimAll "[]" }}{{ end }}{{ $failed = append $failed (printf "%s %s (measured %s)" .name .phase $last) }}{{ end }}{{ end -}}`,
    `{{- $reason = printf "analysis %s %s: %s" .metadata.name .status.phase (join "; " $failed | default .status.message) -}}`,
    `{{- end }}{{ end }}{{ end -}}`,
    // Else, for an abort, the deadline: the notification is sent as the controller aborts, before it records why.
    `{{- if and (not $reason) .rollout.spec.progressDeadlineAbort }}{{ range .rollout.status.conditions }}{{ if and (eq .type "Progressing") (eq .status "True") }}{{ $reason = printf "progress deadline of %vs exceeded: no progress since %s (%s)" $.rollout.spec.progressDeadlineSeconds .lastUpdateTime .message }}{{ end }}{{ end }}{{ end -}}`,
    `{{- if not $reason }}{{ $reason = .rollout.status.message | default "" }}{{ end -}}`,
    `{{- $steps := list }}{{ with .rollout.spec.strategy.canary }}{{ $steps = .steps | default list }}{{ end -}}`,
    `{{- $stepIndex := .rollout.status.currentStepIndex | default 0 | int -}}`,
].join("\n");

interface TemplateSpec {
    /** Our own words for the event, after the service's name. */
    readonly headline: string;
    /** Whether the notification names the step just completed. */
    readonly step: boolean;
    /** Whether the notification gives a reason. */
    readonly reason: boolean;
}

const TEMPLATE_SPECS: Readonly<Record<NotificationTrigger, TemplateSpec>> = {
    "on-rollout-completed": { headline: "released", step: false, reason: false },
    "on-rollout-aborted": { headline: "release aborted; traffic is back on the stable version", step: false, reason: true },
    "on-analysis-run-failed": { headline: "analysis failed", step: false, reason: true },
    "on-rollout-step-completed": { headline: "canary step completed", step: true, reason: false },
};

/** The template each trigger sends: the trigger's name without `on-`, under our prefix. */
export function templateName(trigger: NotificationTrigger): string {
    return `rollout-stacks-${trigger.slice("on-".length)}`;
}

/** The step just completed (the Rollout still points at it), e.g. `2/6 {"pause":{"duration":"2m"}}`, as a Go expression. */
const STEP_EXPRESSION = `(printf "%d/%d %s" (add1 $stepIndex) (len $steps) (index $steps $stepIndex | toJson))`;

/** The one-line summary every service gets: the message, Slack's text. */
function summary(spec: TemplateSpec): string {
    return [
        `{{ .rollout.metadata.name }} in {{ .rollout.metadata.namespace }}: ${spec.headline}`,
        `; image {{ $image }}{{ if $previous }} (was {{ $previous }}){{ end }}`,
        spec.step ? `{{ if lt $stepIndex (len $steps) }}; step {{ ${STEP_EXPRESSION} }}{{ end }}` : "",
        spec.reason ? `{{ if $reason }}; reason: {{ $reason }}{{ end }}` : "",
    ].join("");
}

/** The webhook's JSON body: every value through toJson, so quotes in a message cannot break it. */
function webhookBody(trigger: NotificationTrigger, spec: TemplateSpec): string {
    const fields = [
        `"event": ${JSON.stringify(trigger)}`,
        `"service": {{ toJson .rollout.metadata.name }}`,
        `"environment": {{ toJson .rollout.metadata.namespace }}`,
        `"image": {{ toJson $image }}`,
        `"previousImage": {{ if $previous }}{{ toJson $previous }}{{ else }}null{{ end }}`,
        `"revision": {{ index .rollout.metadata.annotations "rollout.argoproj.io/revision" | default "" | toJson }}`,
        ...(spec.step
            ? [`"step": {{ if lt $stepIndex (len $steps) }}{ "number": {{ add1 $stepIndex }}, "of": {{ len $steps }}, "spec": {{ index $steps $stepIndex | toJson }} }{{ else }}null{{ end }}`]
            : []),
        ...(spec.reason ? [`"reason": {{ if $reason }}{{ toJson $reason }}{{ else }}null{{ end }}`] : []),
    ];
    return `{ ${fields.join(", ")} }`;
}

/** YAML of one template, as a ConfigMap value: a `message` for every service, a JSON POST per webhook, Slack attachments. */
function templateYaml(trigger: NotificationTrigger, services: NotificationServices): string {
    const spec = TEMPLATE_SPECS[trigger];
    const lines = [`message: ${yamlBlock(`${PREAMBLE}\n${summary(spec)}`, 2)}`];
    if (services.webhooks.length > 0) {
        lines.push("webhook:");
        for (const webhook of services.webhooks) {
            lines.push(`  ${webhook.name}:`, "    method: POST", `    body: ${yamlBlock(`${PREAMBLE}\n${webhookBody(trigger, spec)}`, 6)}`);
        }
    }
    if (services.slack !== undefined) {
        const color = trigger === "on-rollout-completed" || trigger === "on-rollout-step-completed" ? "#2EB67D" : "#E01E5A";
        const fields = [
            `{ "title": "Service", "value": {{ toJson .rollout.metadata.name }}, "short": true }`,
            `{ "title": "Environment", "value": {{ toJson .rollout.metadata.namespace }}, "short": true }`,
            `{ "title": "Image", "value": {{ toJson $image }}, "short": false }`,
            `{ "title": "Previous image", "value": {{ $previous | default "unknown" | toJson }}, "short": false }`,
            ...(spec.step ? [`{ "title": "Step", "value": {{ if lt $stepIndex (len $steps) }}{{ ${STEP_EXPRESSION} | toJson }}{{ else }}""{{ end }}, "short": false }`] : []),
            ...(spec.reason ? [`{ "title": "Reason", "value": {{ $reason | default "none given" | toJson }}, "short": false }`] : []),
        ];
        lines.push("slack:", `  attachments: ${yamlBlock(`${PREAMBLE}\n[{ "color": "${color}", "fields": [${fields.join(", ")}] }]`, 4)}`);
    }
    return `${lines.join("\n")}\n`;
}

/** A YAML literal block scalar holding `text`, indented by `indent` spaces. */
function yamlBlock(text: string, indent: number): string {
    const pad = " ".repeat(indent);
    return `|-\n${text.split("\n").map((line) => (line === "" ? "" : `${pad}${line}`)).join("\n")}`;
}

/**
 * When each trigger sends (docs/progressive-delivery.md, "How the controller decides to notify").
 * The controller (Argo Rollouts 1.9) has two paths, fed from the same cached Rollout:
 * - on each event it raises on a Rollout, it sends the event's trigger if the trigger has no
 *   condition or its condition holds for the Rollout as it was before the event; that Rollout is
 *   decoded by encoding/json, so its numbers are floats;
 * - on each change of a Rollout it sends every subscribed trigger whose condition has come to hold,
 *   with the Rollout decoded as an unstructured object, whose whole numbers are ints. A trigger
 *   without a condition never sends on this path.
 *
 * The aborted trigger needs a condition, because `RolloutAborted` is raised twice when a progress
 * deadline aborts a release: as the deadline passes, and on the next pass, once the abort is
 * recorded. So it holds on the event path alone (the float), and only before the abort is recorded:
 * each abort is announced once, on its first event, whether a failed analysis or a deadline caused
 * it. The change path must never send it: it reads the AnalysisRuns live while the Rollout it holds
 * can be a moment older, so any condition that lets it see a failed analysis before the abort is
 * recorded also lets the event send, and the abort is announced twice. An abort by a person
 * (`status.abort` set before the controller's pass) is not announced.
 */
const ABORT_ON_ITS_FIRST_EVENT = `type(rollout.metadata.generation) == "float" && rollout.status.abort != true`;

const TRIGGER_CONDITIONS: Readonly<Record<NotificationTrigger, string | undefined>> = {
    "on-rollout-completed": undefined,
    "on-rollout-aborted": ABORT_ON_ITS_FIRST_EVENT,
    "on-analysis-run-failed": undefined,
    "on-rollout-step-completed": undefined,
};

function triggerYaml(trigger: NotificationTrigger): string {
    const when = TRIGGER_CONDITIONS[trigger];
    return `- send: [${templateName(trigger)}]\n${when === undefined ? "" : `  when: ${JSON.stringify(when)}\n`}`;
}

/** The service entries of the ConfigMap; secrets are `$<key>` references into the Secret. */
export function serviceEntries(services: NotificationServices): Record<string, string> {
    const entries: Record<string, string> = {};
    for (const webhook of services.webhooks) {
        const headers = webhook.headerNames.map((name, index) =>
            `  - name: ${JSON.stringify(name)}\n    value: $${secretKeys.webhookHeader(webhook.name, index)}\n`).join("");
        entries[`service.webhook.${webhook.name}`] = `url: $${secretKeys.webhookUrl(webhook.name)}\n` +
            (headers === "" ? "" : `headers:\n${headers}`);
    }
    if (services.slack !== undefined) {
        const { apiUrl, username } = services.slack;
        entries[`service.${SLACK_SERVICE}`] = `token: $${secretKeys.slackToken}\n` +
            (apiUrl === undefined ? "" : `apiURL: ${JSON.stringify(apiUrl)}\n`) +
            (username === undefined ? "" : `username: ${JSON.stringify(username)}\n`);
    }
    return entries;
}

/** The `template.<name>` and `trigger.<name>` entries of the ConfigMap, for every trigger. */
export function triggerAndTemplateEntries(services: NotificationServices): { templates: Record<string, string>; triggers: Record<string, string> } {
    const templates: Record<string, string> = {};
    const triggers: Record<string, string> = {};
    for (const trigger of NOTIFICATION_TRIGGER_NAMES) {
        templates[`template.${templateName(trigger)}`] = templateYaml(trigger, services);
        triggers[`trigger.${trigger}`] = triggerYaml(trigger);
    }
    return { templates, triggers };
}

/** The whole ConfigMap's data. */
export function notificationConfigData(services: NotificationServices): Record<string, string> {
    const { templates, triggers } = triggerAndTemplateEntries(services);
    return { ...serviceEntries(services), ...templates, ...triggers };
}
