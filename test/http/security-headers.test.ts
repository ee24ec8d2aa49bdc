import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { securityHeaders } from "../../src/http/security-headers.ts";

/** The headers on an answer from a tiny app behind the middleware. */
async function headersOf(handler: () => Response | Promise<Response>): Promise<Record<string, string>> {
	const app = new Hono();
	app.use("*", securityHeaders);
	app.get("/x", handler);
	const res = await app.request("/x");
	return Object.fromEntries(res.headers);
}

const EXPECTED = {
	"content-security-policy": "default-src 'none'; frame-ancestors 'none'",
	"x-frame-options": "DENY",
	"x-content-type-options": "nosniff",
	"referrer-policy": "no-referrer",
	"cache-control": "no-store",
};

describe("securityHeaders (hono/secure-headers plus what it can't say)", () => {
	it("sets exactly the four security headers and no-store on JSON", async () => {
		const headers = await headersOf(() => Response.json({ ok: true }));
		expect(headers).toEqual({ "content-type": "application/json", ...EXPECTED });
	});

	it("keeps a route's own Cache-Control", async () => {
		const headers = await headersOf(() => new Response("x", { headers: { "Cache-Control": "private, max-age=5" } }));
		expect(headers["cache-control"]).toBe("private, max-age=5");
		expect(headers["x-frame-options"]).toBe("DENY");
	});

	it("copies an answer whose headers are immutable (a Durable Object's) before setting them", async () => {
		const headers = await headersOf(async () => {
			const immutable = await fetch("data:text/plain,refused");
			expect(() => immutable.headers.set("x", "y")).toThrow();
			return immutable;
		});
		expect(headers).toMatchObject(EXPECTED);
	});

	it("leaves a WebSocket upgrade's 101 alone", async () => {
		const [client, server] = Object.values(new WebSocketPair());
		server?.accept();
		const app = new Hono();
		app.use("*", securityHeaders);
		app.get("/ws", () => new Response(null, { status: 101, webSocket: client }));
		const res = await app.request("/ws");
		expect(res.status).toBe(101);
		expect(res.headers.get("content-security-policy")).toBeNull();
		expect(res.headers.get("cache-control")).toBeNull();
		server?.close();
	});
});
