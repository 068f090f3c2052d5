import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { phases, PHASES, readTrace } from "../../bench/engineTrace";

/** An OTLP JSON export line for one service's spans, times in ms after a fixed origin. */
function exportLine(service: string, spans: readonly [name: string, startMs: number, endMs: number][]): string {
    const origin = 1_796_300_630_000_000_000n;
    const nanos = (ms: number) => String(origin + BigInt(Math.round(ms * 1e6)));
    return JSON.stringify({
        resourceSpans: [{
            resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
            scopeSpans: [{ scope: {}, spans: spans.map(([name, start, end]) => ({ name, startTimeUnixNano: nanos(start), endTimeUnixNano: nanos(end) })) }],
        }],
    });
}

describe("bench/engineTrace: a Pulumi command's phases from its OpenTelemetry trace", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-trace-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function traceFile(lines: readonly string[]): string {
        const file = path.join(dir, "trace.json");
        fs.writeFileSync(file, `${lines.join("\n")}\n`);
        return file;
    }

    const cli = exportLine("pulumi-cli", [["pulumi", 10, 5010], ["pulumi-plan", 400, 4900], ["pulumirpc.ResourceProvider/Diff", 2000, 2100]]);
    const host = exportLine("pulumi-language-host", [
        ["/pulumirpc.ResourceMonitor/RegisterResource", 1500, 1502],
        ["/pulumirpc.ResourceMonitor/RegisterResource", 1900, 1901],
        ["/pulumirpc.ResourceMonitor/RegisterResourceOutputs", 2500, 2501],
        ["/pulumirpc.ResourceMonitor/RegisterResourceOutputs", 3400, 3402],
    ]);
    const plugin = exportLine("opentracing-plugin", [["locateModule", 410, 600], ["execNodejs", 600, 3500]]);

    it("cuts the CLI's root span at the plan, Node.js, the first and the last registration and the plan's end", () => {
        const result = phases(readTrace(traceFile([host, cli, plugin])));
        assert.deepEqual(result.map((phase) => phase.phase), [...PHASES]);
        assert.deepEqual(result.map((phase) => Math.round(phase.ms)), [390, 200, 900, 400, 3000, 110]);
        assert.equal(Math.round(result.reduce((sum, phase) => sum + phase.ms, 0)), 5000, "the phases add up to the root span");
    });

    it("names the span a trace lacks instead of returning wrong phases", () => {
        assert.throws(() => phases(readTrace(traceFile([cli, host]))), /the trace has no execNodejs span/);
        assert.throws(() => readTrace(traceFile([""])), /holds no spans/);
    });
});
