import {
	closeServer,
	header,
	type IncomingMessage,
	json,
	listen,
	nodeHttp,
	portOf,
	readBody,
	type ServerResponse,
} from "./node-http.ts";

// A webhook receiver for tests (docs/webhooks.md): a Node HTTP server on 127.0.0.1 that records
// every POST and checks its signature with Node's own crypto (not Sparky's code), the way a
// receiver following docs/webhooks.md would. Started by test/support/global-setup.ts (in Node,
// not workerd); tests reach it with `inject("webhookReceiverUrl")`.
//
// Routes (each delivery URL is under /t/<tag>/, which tags what is recorded):
//   POST /t/<tag>/ok            record, 200
//   POST /t/<tag>/status/<code> record, answer <code>
//   POST /t/<tag>/fail/<n>      record; the first <n> requests of this tag get 500, later ones 200
//   POST /t/<tag>/hang          record, never answer (until the sender gives up)
//   GET  /__received?tag=<tag>[&secret=<secret>]
//        what <tag> received, oldest first; with `secret`, each says whether its
//        Sparky-Signature verifies with it (`signature_ok`)

interface NodeCrypto {
	createHmac(algorithm: string, key: string): { update(data: string): { digest(encoding: "hex"): string } };
	timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

declare module "vitest" {
	export interface ProvidedContext {
		/** Base URL of the webhook receiver, e.g. http://127.0.0.1:41237 (no trailing slash). */
		webhookReceiverUrl: string;
	}
}

export interface ReceivedWebhook {
	seq: number;
	tag: string;
	/** The path after /t/<tag>. */
	path: string;
	method: string;
	/** Lower-cased names. */
	headers: Record<string, string>;
	/** The raw body, as sent. */
	body: string;
	/** What the receiver answered (null: it never did). */
	answered: number | null;
	/** With `?secret=`: whether Sparky-Signature verifies with that secret. */
	signature_ok?: boolean;
}

export interface WebhookReceiver {
	url: string;
	close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
	const { createServer } = await nodeHttp();
	const crypto = (await import("node:crypto" as string)) as NodeCrypto;
	const received: ReceivedWebhook[] = [];
	let seq = 0;

	/** The docs' recipe: t and v1 from the header, HMAC-SHA256 of "<t>.<body>", compared in constant time. */
	function verifies(record: ReceivedWebhook, secret: string): boolean {
		const header = record.headers["sparky-signature"] ?? "";
		const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
		if (!parts.t || !parts.v1) return false;
		const expected = crypto.createHmac("sha256", secret).update(`${parts.t}.${record.body}`).digest("hex");
		const a = new TextEncoder().encode(expected);
		const b = new TextEncoder().encode(parts.v1);
		return a.length === b.length && crypto.timingSafeEqual(a, b);
	}

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
	});

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? "/", "http://receiver");
		if (url.pathname === "/__received" && req.method === "GET") {
			const tag = url.searchParams.get("tag");
			const secret = url.searchParams.get("secret");
			const list = received
				.filter((r) => r.tag === tag)
				.map((r) => (secret === null ? r : { ...r, signature_ok: verifies(r, secret) }));
			return json(res, 200, { received: list });
		}
		const tagged = /^\/t\/([^/]+)(\/.*)?$/.exec(url.pathname);
		if (!tagged || req.method !== "POST") return json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
		const tag = decodeURIComponent(tagged[1] as string);
		const path = tagged[2] ?? "/";
		const body = await readBody(req);
		const record: ReceivedWebhook = {
			seq: ++seq,
			tag,
			path,
			method: req.method,
			headers: Object.fromEntries(Object.keys(req.headers).map((name) => [name, header(req, name)])),
			body,
			answered: null,
		};
		received.push(record);
		if (path === "/hang") return; // never answers
		const status = /^\/status\/(\d{3})$/.exec(path);
		const fail = /^\/fail\/(\d+)$/.exec(path);
		let answer = 200;
		if (status) answer = Number(status[1]);
		else if (fail) answer = received.filter((r) => r.tag === tag).length <= Number(fail[1]) ? 500 : 200;
		record.answered = answer;
		return json(res, answer, { ok: answer < 300 });
	}

	await listen(server);
	const port = portOf(server);
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => closeServer(server),
	};
}
