import { z } from "zod";

export const McpServerNameSchema = z.string().regex(/^[a-z0-9-]{1,32}$/, "name: 1-32 of a-z 0-9 -");

/** `auto`: tools annotated readOnlyHint run at once, others need approval; `never`/`always` for every tool. */
export const McpApprovalSchema = z.enum(["auto", "never", "always"]);
export type McpApproval = z.infer<typeof McpApprovalSchema>;

/** An HTTP header name (RFC 9110 token) a user may set; the transport's own headers are not theirs to set. */
const RESERVED_HEADERS = new Set([
	"host",
	"content-length",
	"content-type",
	"accept",
	"connection",
	"transfer-encoding",
	"mcp-session-id",
	"mcp-protocol-version",
	"last-event-id",
]);
const HeaderNameSchema = z
	.string()
	.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "header name: 1-64 token characters")
	.refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { message: "this header is set by Sparky itself" });
/** Visible ASCII and spaces, no line breaks (a header value). */
const HeaderValueSchema = z.string().regex(/^[\x20-\x7e]{1,4096}$/, "header value: 1-4096 printable ASCII characters");

export const McpHeadersSchema = z
	.record(HeaderNameSchema, HeaderValueSchema)
	.refine((headers) => Object.keys(headers).length <= 10, { message: "at most 10 headers" })
	.refine((headers) => new Set(Object.keys(headers).map((h) => h.toLowerCase())).size === Object.keys(headers).length, {
		message: "header names must differ in more than case",
	});
export type McpHeaders = z.infer<typeof McpHeadersSchema>;

const UrlSchema = z.string().trim().min(1).max(2048);

/** `POST /api/mcp-servers` body. */
export const CreateMcpServerBodySchema = z.strictObject({
	name: McpServerNameSchema,
	url: UrlSchema,
	headers: McpHeadersSchema.optional(),
	approval: McpApprovalSchema.optional(),
	/**
	 * Default true: the server must answer MCP (initialize, then tools/list) before it is
	 * registered (else 422 `mcp_unreachable`). False registers it unchecked (a server that is
	 * down for now; its runs say it is unavailable until it answers).
	 */
	verify: z.boolean().optional(),
});
export type CreateMcpServerBody = z.infer<typeof CreateMcpServerBodySchema>;

/** `PATCH /api/mcp-servers/:name` body: what to change. `headers` replaces every header (null: none). */
export const UpdateMcpServerBodySchema = z.strictObject({
	url: UrlSchema.optional(),
	headers: McpHeadersSchema.nullable().optional(),
	approval: McpApprovalSchema.optional(),
	/** Off: its tools stay out of your runs (the server stays configured). */
	enabled: z.boolean().optional(),
});
export type UpdateMcpServerBody = z.infer<typeof UpdateMcpServerBodySchema>;

/** Where a server's OAuth sign-in stands: `pending` until the browser comes back, `needs_sign_in` once tokens fail. */
export const McpAuthStateSchema = z.enum(["pending", "signed_in", "needs_sign_in"]);
export type McpAuthState = z.infer<typeof McpAuthStateSchema>;

/** A server that signs in with OAuth: the state and who signs in, never a token. */
export const McpOAuthSchema = z.object({
	type: z.literal("oauth"),
	state: McpAuthStateSchema,
	/** The authorization server (its `issuer`). */
	issuer: z.string(),
	scope: z.string().nullable(),
	signed_in_at: z.number().int().nullable(),
	/** When the access token expires (Sparky refreshes it before then). */
	expires_at: z.number().int().nullable(),
	/** Why it needs sign-in (a refresh that was refused, a revoked token). */
	reason: z.string().nullable(),
});
export type McpOAuth = z.infer<typeof McpOAuthSchema>;

/** How the server answered lately: `failing` with its last error, `ok`, or `unknown` before the first try. */
export const McpHealthSchema = z.object({
	state: z.enum(["unknown", "ok", "failing"]),
	last_error: z.string().nullable(),
	last_error_at: z.number().int().nullable(),
	last_ok_at: z.number().int().nullable(),
	/** When its tool list was last fetched (runs reuse it until it goes stale). */
	tools_listed_at: z.number().int().nullable(),
});
export type McpHealth = z.infer<typeof McpHealthSchema>;

/** An MCP server as the API returns it: header names only, never their values. */
export const McpServerSchema = z.object({
	name: z.string(),
	url: z.string(),
	header_names: z.array(z.string()),
	approval: McpApprovalSchema,
	/** Whether its tools join your runs. */
	enabled: z.boolean(),
	created_at: z.number().int(),
	updated_at: z.number().int(),
	/** Null for a server without OAuth (no auth, or its own headers). Optional: older servers' answers lack it. */
	auth: McpOAuthSchema.nullable().optional(),
	health: McpHealthSchema.optional(),
});
export type McpServer = z.infer<typeof McpServerSchema>;

/** A sign-in to finish in the browser: open `authorization_url` before `expires_at`. Never a token. */
export const McpSignInSchema = z.object({
	authorization_url: z.string(),
	expires_at: z.number().int(),
});
export type McpSignIn = z.infer<typeof McpSignInSchema>;

/** `POST /api/mcp-servers` and `POST /api/mcp-servers/:name/sign-in`: the server, and a sign-in when it needs one. */
export const McpServerAnswerSchema = z.object({ mcp_server: McpServerSchema, sign_in: McpSignInSchema.optional() });

/** The query `GET /oauth/callback` gets back from an authorization server (RFC 6749 §4.1.2, RFC 9207's `iss`). */
export const OAuthCallbackQuerySchema = z.object({
	state: z.string().min(16).max(512),
	code: z.string().min(1).max(4096).optional(),
	iss: z.string().max(2048).optional(),
	error: z.string().max(256).optional(),
	error_description: z.string().max(1024).optional(),
});
export type OAuthCallbackQuery = z.infer<typeof OAuthCallbackQuerySchema>;

/** One tool of a connected server, as `GET /api/mcp-servers/:name/tools` lists it. */
export const McpToolInfoSchema = z.object({
	name: z.string(),
	/** What the agent's model calls it: `<server>__<tool>`. */
	agent_name: z.string(),
	description: z.string().nullable(),
	input_schema: z.record(z.string(), z.unknown()),
	read_only: z.boolean(),
	needs_approval: z.boolean(),
});
export type McpToolInfo = z.infer<typeof McpToolInfoSchema>;
