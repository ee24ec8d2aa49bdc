// The slice of node:http the suite's local receivers use (the OTLP receiver, the webhook
// receiver), and their small helpers. Node's own type definitions are left out on purpose (see
// fake-llm-server.ts): these files are type-checked with the Workers types.

export interface IncomingMessage extends AsyncIterable<Uint8Array> {
	url?: string;
	method?: string;
	headers: Record<string, string | string[] | undefined>;
}
export interface ServerResponse {
	writeHead(status: number, headers?: Record<string, string>): this;
	end(chunk?: string): this;
}
export interface HttpServer {
	listen(port: number, host: string, listening: () => void): this;
	once(event: "error", listener: (error: Error) => void): this;
	address(): { port: number } | string | null;
	closeAllConnections(): void;
	close(done: (error?: Error) => void): this;
}
export interface NodeHttp {
	createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer;
}

/** node:http, loaded at run time (global setup runs in Node). */
export async function nodeHttp(): Promise<NodeHttp> {
	return (await import("node:http" as string)) as NodeHttp;
}

/** Listens on a free port of 127.0.0.1. */
export function listen(server: HttpServer): Promise<HttpServer> {
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve(server));
	});
}

/** The port a listening server got. */
export function portOf(server: HttpServer): number {
	const address = server.address();
	if (!address || typeof address === "string") throw new Error("the server is not listening");
	return address.port;
}

/** Closes a server and every connection it holds. */
export function closeServer(server: HttpServer): Promise<void> {
	return new Promise((resolve, reject) => {
		server.closeAllConnections();
		server.close((error) => (error ? reject(error) : resolve()));
	});
}

export async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Uint8Array[] = [];
	for await (const chunk of req) chunks.push(chunk);
	const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
	let at = 0;
	for (const chunk of chunks) {
		all.set(chunk, at);
		at += chunk.length;
	}
	return new TextDecoder().decode(all);
}

export function header(req: IncomingMessage, name: string): string {
	const value = req.headers[name];
	return Array.isArray(value) ? value.join(", ") : (value ?? "");
}

export function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { "content-type": "application/json" });
	res.end(JSON.stringify(body));
}
