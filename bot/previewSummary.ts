import type { EngineEvent, OpMap, OpType, StepEventMetadata, SummaryEvent } from "@pulumi/pulumi/automation";
import { urnName } from "./output";

/** The operations a PR comment shows; a replacement's three engine steps collapse into `replace`. */
export type RowOp = "replace" | "delete" | "create" | "update" | "import" | "read";

/** One changed resource. */
export interface PreviewRow {
    readonly op: RowOp;
    readonly type: string;
    /** The Kubernetes name when the resource has one, else the Pulumi resource name. */
    readonly name: string;
    readonly urn: string;
    /** Changed property paths (detailed diff when the provider gives one, else top-level keys). */
    readonly properties: readonly string[];
    /** The properties whose change forces the replacement. */
    readonly replaceKeys: readonly string[];
}

/** A policy pack's verdict on a resource or the stack. */
export interface PolicyViolation {
    readonly policy: string;
    readonly level: string;
    readonly message: string;
    readonly resource?: string;
}

/** A policy pack the engine ran over the preview. */
export interface PolicyPackRun {
    readonly name: string;
    readonly version: string;
    /** Run from a directory (`--policy-pack`), not required by the backend's organization. */
    readonly local: boolean;
}

export interface PreviewSummary {
    readonly stack: string;
    /** The engine's counts by operation (`changeSummary`), `same` included. */
    readonly counts: Readonly<OpMap>;
    readonly rows: readonly PreviewRow[];
    /** The packs the engine ran, from its summary event; empty when none ran or it ended first. */
    readonly policyPacks: readonly PolicyPackRun[];
    readonly violations: readonly PolicyViolation[];
}

const OP_OF: Partial<Record<OpType, RowOp>> = {
    create: "create",
    update: "update",
    delete: "delete",
    discard: "delete",
    replace: "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "discard-replaced": "replace",
    read: "read",
    "read-replacement": "read",
    import: "import",
    "import-replacement": "import",
};

/** Table order: what a reviewer must not miss comes first. */
const ROW_ORDER: readonly RowOp[] = ["replace", "delete", "create", "update", "import", "read"];
const ROW_SYMBOL: Readonly<Record<RowOp, string>> = { replace: "+-", delete: "-", create: "+", update: "~", import: "=", read: ">" };
const COUNT_ORDER: readonly OpType[] = ["create", "update", "replace", "delete", "import", "read"];
const COUNT_LABEL: Partial<Record<OpType, string>> = {
    create: "to create", update: "to update", replace: "to replace", delete: "to delete", import: "to import", read: "to read",
};

/** Rows and properties past these limits are counted, not listed: a PR comment must stay readable. */
const MAX_ROWS = 200;
const MAX_PROPERTIES = 6;

function kubernetesName(metadata: StepEventMetadata): string | undefined {
    for (const state of [metadata.new, metadata.old]) {
        const name: unknown = state?.inputs?.metadata?.name;
        if (typeof name === "string" && name !== "") {
            return name;
        }
    }
    return undefined;
}

/** Collects the per-resource steps of a preview from its engine events (`preview({ onEvent })`). */
export class PreviewCollector {
    private readonly steps = new Map<string, { ops: Set<RowOp>; metadata: StepEventMetadata[] }>();
    private readonly policy: PolicyViolation[] = [];
    private packs: PolicyPackRun[] = [];

    /** Pass every engine event here. */
    readonly onEvent = (event: EngineEvent): void => {
        const pre = event.resourcePreEvent?.metadata;
        if (pre !== undefined) {
            const op = OP_OF[pre.op];
            if (op !== undefined) {
                const entry = this.steps.get(pre.urn) ?? { ops: new Set<RowOp>(), metadata: [] };
                entry.ops.add(op);
                entry.metadata.push(pre);
                this.steps.set(pre.urn, entry);
            }
        }
        if (event.summaryEvent !== undefined) {
            this.packs = policyPacksOf(event.summaryEvent);
        }
        const policy = event.policyEvent;
        if (policy !== undefined) {
            this.policy.push({
                policy: policy.policyName,
                level: policy.enforcementLevel,
                message: policy.message.trim(),
                ...(policy.resourceUrn === undefined || policy.resourceUrn === "" ? {} : { resource: urnName(policy.resourceUrn) }),
            });
        }
    };

    /**
     * The summary; `counts` is the engine's `changeSummary`. A preview that failed (a mandatory
     * policy violation) has none, and is counted from the collected steps instead.
     */
    summary(stack: string, counts?: OpMap): PreviewSummary {
        const rows = [...this.steps.entries()].map(([urn, { ops, metadata }]): PreviewRow => {
            const op = ROW_ORDER.find((candidate) => ops.has(candidate)) ?? "update";
            const first = metadata[0]!;
            const properties = new Set<string>();
            const replaceKeys = new Set<string>();
            for (const step of metadata) {
                const detailed = Object.keys(step.detailedDiff ?? {});
                (detailed.length > 0 ? detailed : step.diffs ?? []).forEach((key) => properties.add(key));
                if (OP_OF[step.op] === "replace") {
                    (step.keys ?? []).forEach((key) => replaceKeys.add(key));
                }
            }
            return {
                op,
                type: first.type,
                name: metadata.map(kubernetesName).find((name) => name !== undefined) ?? urnName(urn),
                urn,
                properties: op === "create" || op === "delete" ? [] : [...properties].sort(),
                replaceKeys: [...replaceKeys].sort(),
            };
        });
        rows.sort((a, b) => ROW_ORDER.indexOf(a.op) - ROW_ORDER.indexOf(b.op) || a.type.localeCompare(b.type) ||
            a.name.localeCompare(b.name) || a.urn.localeCompare(b.urn));
        const counted: OpMap = {};
        for (const row of rows) {
            counted[row.op] = (counted[row.op] ?? 0) + 1;
        }
        return { stack, counts: counts ?? counted, rows, policyPacks: [...this.packs], violations: [...this.policy] };
    }
}

/**
 * The summary event's pack → version map. The CLI writes it as `PolicyPacks` (apitype.SummaryEvent
 * keeps that Go name as its JSON tag for compatibility), where the SDK's type says `policyPacks`;
 * both are read. A local pack's key is `<name>|local|<path>` (engine LocalPolicyPack.NameForEvents);
 * newer CLIs put a `v` before the version.
 */
function policyPacksOf(summary: SummaryEvent): PolicyPackRun[] {
    const packs = (summary as { PolicyPacks?: Record<string, string> }).PolicyPacks ?? summary.policyPacks ?? {};
    return Object.entries(packs).map(([key, version]) => {
        const [name, source] = key.split("|");
        return { name: name!, version: version.replace(/^v/, ""), local: source === "local" };
    }).sort((a, b) => a.name.localeCompare(b.name));
}

/** `text` as inline code in a Markdown table cell: backticks and pipes escaped, whitespace one space. */
export function code(text: string): string {
    return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\s+/g, " ")}\``;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** `1 to create, 4 to update, 13 unchanged` from the engine's counts. */
export function describeCounts(counts: OpMap): string {
    const changes = COUNT_ORDER.filter((op) => (counts[op] ?? 0) > 0).map((op) => `${counts[op]} ${COUNT_LABEL[op]}`);
    const same = counts.same ?? 0;
    return [...changes, ...(same > 0 ? [`${same} unchanged`] : [])].join(", ") || "no resources";
}

function propertiesCell(row: PreviewRow): string {
    if (row.properties.length === 0) {
        return "";
    }
    const shown = row.properties.slice(0, MAX_PROPERTIES).map((property) =>
        row.replaceKeys.some((key) => property === key || property.startsWith(`${key}.`) || property.startsWith(`${key}[`))
            ? `${code(property)} (forces replacement)`
            : code(property));
    const hidden = row.properties.length - shown.length;
    return shown.join("<br>") + (hidden > 0 ? `<br>and ${hidden} more` : "");
}

/** The PR comment: counts by operation, a table of changed resources, the policy packs run and their violations. */
export function renderPreviewMarkdown(summary: PreviewSummary): string {
    const lines = [`### Pulumi preview of \`${summary.stack}\``, ""];
    if (summary.rows.length === 0) {
        lines.push(`No changes: the stack already matches this commit (${describeCounts(summary.counts)}).`);
    } else {
        lines.push(`**Resources:** ${describeCounts(summary.counts)}`, "");
        lines.push("| Operation | Type | Name | Changed properties |", "| --- | --- | --- | --- |");
        for (const row of summary.rows.slice(0, MAX_ROWS)) {
            lines.push(`| ${ROW_SYMBOL[row.op]} ${row.op} | ${code(row.type)} | ${code(row.name)} | ${propertiesCell(row)} |`);
        }
        if (summary.rows.length > MAX_ROWS) {
            lines.push("", `and ${summary.rows.length - MAX_ROWS} more resources; run the preview locally for all of them.`);
        }
    }
    if (summary.policyPacks.length > 0) {
        const packs = summary.policyPacks.map((pack) => `${code(pack.name)} ${pack.version}${pack.local ? " (local)" : ""}`).join(", ");
        const verdict = summary.violations.length === 0 ? "no violations" : `${summary.violations.length} violation${summary.violations.length === 1 ? "" : "s"}`;
        lines.push("", `**Policy packs:** ${packs}: ${verdict}`);
    }
    if (summary.violations.length > 0) {
        lines.push("", "#### Policy violations", "", "| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |");
        for (const violation of summary.violations) {
            lines.push(`| ${violation.level} | ${code(violation.policy)} | ${violation.resource === undefined ? "stack" : code(violation.resource)} | ${cell(violation.message)} |`);
        }
    }
    return `${lines.join("\n")}\n`;
}
