import { z } from "zod";

/**
 * What an app connected with OAuth may do on `/mcp` (issue #28). A Sparky API token may do all
 * of it; an OAuth token only what the user approved on the consent page.
 */
export const McpScopeSchema = z.enum(["tasks:read", "tasks:write", "approvals:decide", "memory:read", "memory:write"]);
export type McpScope = z.infer<typeof McpScopeSchema>;
export const MCP_SCOPES = McpScopeSchema.options;

/** Each scope in words, for the consent page and the CLI. */
export const MCP_SCOPE_WORDS: Record<McpScope, string> = {
	"tasks:read": "See your tasks and pending approvals",
	"tasks:write": "Add tasks and cancel them",
	"approvals:decide": "Approve or deny tool calls your tasks wait on",
	"memory:read": "Search what Sparky remembers about you",
	"memory:write": "Add to what Sparky remembers about you",
};

/** `POST /api/oauth/authorize`: the authorization request's query string, as the page got it. */
export const ConsentStartBodySchema = z.strictObject({
	query: z.string().max(8_192),
});

/** What the consent page shows: who asks, where access goes, and for what. */
export const ConsentSchema = z.object({
	/** Single-use, bound to this browser by a cookie: posted back with the decision. */
	handle: z.string(),
	client_id: z.string(),
	/** Self-asserted unless `client_domain` is set (a Client ID Metadata Document's host). */
	client_name: z.string(),
	client_domain: z.string().nullable(),
	/** Where the tokens will be sent. */
	redirect_host: z.string(),
	/** The redirect goes to an app on this computer (any local process could be listening). */
	redirect_is_loopback: z.boolean(),
	/** Requested scopes Sparky knows, in the catalogue's order; none requested: all of them. */
	scopes: z.array(McpScopeSchema),
});
export type Consent = z.infer<typeof ConsentSchema>;

/**
 * The page's answer to `POST /api/oauth/authorize`: a consent to show, or (a request the
 * client's redirect may be told about) where to send the browser at once.
 */
export const ConsentStartAnswerSchema = z.union([
	z.object({ consent: ConsentSchema }),
	z.object({ redirect_to: z.string() }),
]);

/** `POST /api/oauth/authorize/decision`: approve (with the scopes the user left ticked) or deny. */
export const ConsentDecisionBodySchema = z.strictObject({
	handle: z.string().min(1).max(200),
	approved: z.boolean(),
	scopes: z.array(McpScopeSchema).max(MCP_SCOPES.length).optional(),
});
export type ConsentDecisionBody = z.infer<typeof ConsentDecisionBodySchema>;

/** Where to send the browser after a decision: the client's redirect URI with a code or an error. */
export const ConsentDecisionAnswerSchema = z.object({ redirect_to: z.string() });

/** An app a user connected with OAuth (one grant): `GET /api/connected-apps`. */
export const ConnectedAppSchema = z.object({
	/** The grant's id: `DELETE /api/connected-apps/:id` revokes it and every token it issued. */
	id: z.string(),
	client_id: z.string(),
	client_name: z.string(),
	/** Where its tokens went (the redirect URI's host), as the consent page showed it. */
	redirect_host: z.string().nullable(),
	scopes: z.array(z.string()),
	created_at: z.number().int(),
	/** When its refresh token stops working (ms), if it does. */
	expires_at: z.number().int().nullable(),
});
export type ConnectedApp = z.infer<typeof ConnectedAppSchema>;

export const ConnectedAppIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "a connected app's id");
export const ConnectedAppParamsSchema = z.object({ id: ConnectedAppIdSchema });
