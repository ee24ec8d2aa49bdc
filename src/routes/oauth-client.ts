/**
 * Sparky as an OAuth client of the MCP servers users connect: the Client ID Metadata Document
 * (`/oauth/client-metadata.json`, public) and the redirect back from an authorization server
 * (`/oauth/callback`). The callback carries no bearer token: the single-use, expiring `state`
 * it comes with is what binds it to the user's sign-in; it spends that user's `mcp` rate.
 */
import { Hono } from "hono";
import { SparkyError } from "../errors.ts";
import type { AppEnv } from "../http/auth.ts";
import { log } from "../log.ts";
import { OAUTH_CALLBACK_PATH, OAUTH_CLIENT_METADATA_PATH, sparkyClientMetadata } from "../mcp/oauth-client-id.ts";
import { SignInRefused } from "../mcp/oauth-flow.ts";
import { completeSignIn } from "../mcp/sign-in.ts";
import { OAuthCallbackQuerySchema } from "../protocol/mcp.ts";
import { getMcpServerById } from "../storage/mcp-servers.ts";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A small page, no script, nothing loaded from anywhere; the URL (with its code) goes to no one as a referrer. */
function page(status: 200 | 400 | 429 | 502, title: string, text: string): Response {
	const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} · Sparky</title><style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style></head>
<body><h1>${escapeHtml(title)}</h1><p data-sign-in="${status === 200 ? "ok" : "failed"}">${escapeHtml(text)}</p><p><a href="/settings">Back to Sparky's settings</a></p></body></html>`;
	return new Response(html, {
		status,
		headers: {
			"Content-Type": "text/html; charset=utf-8",
			"Cache-Control": "no-store",
			"Referrer-Policy": "no-referrer",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
			"X-Content-Type-Options": "nosniff",
		},
	});
}

export const oauthClientRoutes = new Hono<AppEnv>()
	.get(OAUTH_CLIENT_METADATA_PATH, (c) => {
		c.header("Cache-Control", "public, max-age=300");
		return c.json(sparkyClientMetadata(new URL(c.req.url).origin));
	})
	.get(OAUTH_CALLBACK_PATH, async (c) => {
		const query = OAuthCallbackQuerySchema.safeParse(c.req.query());
		if (!query.success) return page(400, "Sign-in failed", "This sign-in link is incomplete or malformed.");
		try {
			const { server } = await completeSignIn(c.env, query.data, {
				now: Date.now(),
				serverOf: (userId, id) => getMcpServerById(c.env.DB, userId, id),
			});
			return page(200, "Signed in", `Sparky is signed in to MCP server "${server.name}". You can close this tab.`);
		} catch (error) {
			if (error instanceof SignInRefused) {
				log.info("MCP sign-in refused", { code: error.code, serverId: error.serverId });
				return page(error.code === "exchange_failed" ? 502 : 400, "Sign-in failed", error.message);
			}
			if (error instanceof SparkyError && error.kind === "rate_limited")
				return page(429, "Sign-in failed", `${error.message}.`);
			throw error;
		}
	});
