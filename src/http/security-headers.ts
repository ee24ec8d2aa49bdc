import { createMiddleware } from "hono/factory";

/**
 * Headers on every /api answer (the page's come from web/public/_headers): JSON is never
 * framed, sniffed as something else, or cached by a shared cache, and it refers nowhere.
 */
export const securityHeaders = createMiddleware(async (c, next) => {
	await next();
	// A WebSocket upgrade's 101 carries the socket; its headers are the hub's.
	if (c.res.status === 101) return;
	// An answer from a Durable Object (a refused upgrade) has immutable headers: copy it.
	if (!isMutable(c.res.headers)) c.res = new Response(c.res.body, c.res);
	const headers = c.res.headers;
	headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	headers.set("X-Frame-Options", "DENY");
	headers.set("X-Content-Type-Options", "nosniff");
	headers.set("Referrer-Policy", "no-referrer");
	if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
});

function isMutable(headers: Headers): boolean {
	try {
		headers.set("X-Content-Type-Options", "nosniff");
		return true;
	} catch {
		return false;
	}
}
