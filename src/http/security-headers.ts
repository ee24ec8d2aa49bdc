import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";

/**
 * The headers hono's secure-headers sets on an /api answer (the page's come from
 * web/public/_headers): JSON is never framed, sniffed as something else, and refers nowhere.
 * Only these four; its other defaults (HSTS, COOP, CORP, …) are for pages, and are off.
 */
const apply = secureHeaders({
	contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
	xFrameOptions: "DENY",
	xContentTypeOptions: true,
	referrerPolicy: "no-referrer",
	crossOriginEmbedderPolicy: false,
	crossOriginResourcePolicy: false,
	crossOriginOpenerPolicy: false,
	originAgentCluster: false,
	strictTransportSecurity: false,
	xDnsPrefetchControl: false,
	xDownloadOptions: false,
	xPermittedCrossDomainPolicies: false,
	xXssProtection: false,
});

/**
 * Headers on every /api answer. What secure-headers can't say is added here: a 101 is left
 * alone, an immutable answer is copied first, and no shared cache keeps the JSON.
 */
export const securityHeaders = createMiddleware(async (c, next) => {
	await next();
	// A WebSocket upgrade's 101 carries the socket; its headers are the hub's.
	if (c.res.status === 101) return;
	// An answer from a Durable Object (a refused upgrade) has immutable headers: copy it.
	if (!isMutable(c.res.headers)) c.res = new Response(c.res.body, c.res);
	if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
	// The answer is final: secure-headers sets its headers on it as it would after its own `next`.
	await apply(c, async () => {});
});

function isMutable(headers: Headers): boolean {
	try {
		headers.set("X-Content-Type-Options", "nosniff");
		return true;
	} catch {
		return false;
	}
}
