import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook endpoint for end-to-end scenarios: listens on 127.0.0.1 on a free port, records every
 * request (method, path, headers, body, and the body parsed as JSON when it is JSON), and answers
 * 200. The rollouts controller runs as a local process, so it reaches the receiver on the loopback
 * address. Stopped by the test that started it, and by the process's exit if that never comes.
 */

export interface ReceivedRequest {
    readonly method: string;
    readonly path: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
    /** The body as JSON; undefined when it does not parse. */
    readonly json?: unknown;
    /** Milliseconds since the epoch. */
    readonly at: number;
}

export class WebhookReceiver {
    private readonly received: ReceivedRequest[] = [];
    private readonly onExit: () => void;

    private constructor(private readonly server: http.Server) {
        this.onExit = () => {
            server.closeAllConnections();
            server.close();
        };
        process.once("exit", this.onExit);
    }

    static async start(): Promise<WebhookReceiver> {
        let receiver: WebhookReceiver | undefined;
        const server = http.createServer((request, response) => {
            const chunks: Buffer[] = [];
            request.on("data", (chunk: Buffer) => chunks.push(chunk));
            request.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                let json: unknown;
                try {
                    json = JSON.parse(body);
                } catch {
                    json = undefined;
                }
                receiver?.received.push({
                    method: request.method ?? "", path: request.url ?? "", headers: request.headers, body, json, at: Date.now(),
                });
                response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
            });
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        // The server alone does not keep the test process alive.
        server.unref();
        receiver = new WebhookReceiver(server);
        return receiver;
    }

    /** `http://127.0.0.1:<port>`. */
    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** Everything received so far, oldest first. */
    get requests(): readonly ReceivedRequest[] {
        return [...this.received];
    }

    /** Requests received at or after `sinceMs` whose path is `path`. */
    since(sinceMs: number, path?: string): ReceivedRequest[] {
        return this.received.filter((r) => r.at >= sinceMs && (path === undefined || r.path === path));
    }

    /** Polls until `check` over the requests returns a value other than undefined, or fails after `timeoutMs`. */
    async waitFor<T>(what: string, check: (requests: readonly ReceivedRequest[]) => T | undefined, timeoutMs = 120_000): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const value = check(this.requests);
            if (value !== undefined) {
                return value;
            }
            if (Date.now() > deadline) {
                const seen = this.received.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 300)}`).join("\n  ");
                throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received:\n  ${seen || "(nothing)"}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
    }

    /** Closes the server and every open connection. Safe to call twice. */
    async stop(): Promise<void> {
        process.removeListener("exit", this.onExit);
        if (!this.server.listening) {
            return;
        }
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.server.closeAllConnections();
        await closed;
    }
}
