// A tiny local web server for the agent's http_fetch tool to read (wrangler dev is told to
// allow exactly this host:port with SPARKY_HTTP_FETCH_ALLOW). `/slow.html?key=K` holds its
// answer until the test releases K (POST /release?key=K), so a task stays mid-run on cue.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Longest a slow page is held: below http_fetch's own 10 s timeout. */
const MAX_HOLD_MS = 8_000;

export interface PageServer {
	url: string;
	host: string;
	close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
	const released = new Set<string>();
	const waiting = new Map<string, (() => void)[]>();
	const release = (key: string) => {
		released.add(key);
		for (const wake of waiting.get(key) ?? []) wake();
		waiting.delete(key);
	};
	const page = (title: string, body: string) =>
		`<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${body}</p></body></html>`;

	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://localhost");
		const key = url.searchParams.get("key") ?? "";
		if (req.method === "POST" && url.pathname === "/release") {
			release(key);
			res.writeHead(204).end();
			return;
		}
		if (url.pathname === "/page.html") {
			res.writeHead(200, { "Content-Type": "text/html" }).end(page("E2E page", "The secret word is pineapple."));
			return;
		}
		if (url.pathname === "/long.html") {
			const body = Array.from({ length: 120 }, (_, i) => `Line ${i + 1} of a long page.`).join(" ");
			res.writeHead(200, { "Content-Type": "text/html" }).end(page("Long page", body));
			return;
		}
		if (url.pathname === "/slow.html") {
			if (!released.has(key)) {
				await new Promise<void>((resolve) => {
					waiting.set(key, [...(waiting.get(key) ?? []), resolve]);
					setTimeout(resolve, MAX_HOLD_MS);
				});
			}
			res.writeHead(200, { "Content-Type": "text/html" }).end(page(`Slow page ${key}`, "Worth the wait."));
			return;
		}
		res.writeHead(404).end("not found");
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		host: `127.0.0.1:${port}`,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
