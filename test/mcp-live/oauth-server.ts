// An OAuth-protected MCP server for the suite, made of the SDK's own pieces: its authorization
// server router (`mcpAuthRouter`: metadata, dynamic registration, authorize with PKCE, token,
// revoke), its in-memory demo provider (auto-consent), `requireBearerAuth` (with the resource
// check) in front of an `McpServer` over Streamable HTTP. The demo provider issues no refresh
// tokens and can't revoke; the subclass below adds exactly that, through the SDK's types and
// errors, and counts what it was asked.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { DemoInMemoryAuthProvider } from "@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js";
import { InvalidGrantError, InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { getOAuthProtectedResourceMetadataUrl, mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type {
	OAuthClientInformationFull,
	OAuthTokenRevocationRequest,
	OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import express from "express";
import { z } from "zod";
import { listenOn } from "./listening.ts";
import { modernHandler, type SeenRequest } from "./modern-server.ts";

/**
 * The demo provider (its registration store, its auto-consent `authorize`, its code checks)
 * plus refresh tokens and revocation. The demo's maps are private, so the tokens it hands out
 * are replaced by ones kept here; every access token is checked here.
 */
export class TestAuthProvider extends DemoInMemoryAuthProvider {
	/** Seconds an access token lives (Sparky refreshes one that expires within 5 minutes). */
	accessTtlSeconds = 3600;
	/** Refuses every refresh (as a server that ended the grant would). */
	refuseRefresh = false;
	refreshes = 0;
	readonly accessTokens = new Map<string, AuthInfo>();
	readonly refreshTokens = new Map<string, { clientId: string; resource?: URL; scopes: string[] }>();
	readonly resourceUrl: string;

	constructor(resourceUrl: string) {
		// The demo's own check: a code is only traded for this resource (RFC 8707).
		super((resource) => resource?.href === resourceUrl);
		this.resourceUrl = resourceUrl;
	}

	private issue(clientId: string, scopes: string[], resource: URL | undefined): OAuthTokens {
		const token = randomUUID();
		this.accessTokens.set(token, {
			token,
			clientId,
			scopes,
			expiresAt: Math.floor(Date.now() / 1000) + this.accessTtlSeconds,
			resource,
		});
		const refresh = randomUUID();
		this.refreshTokens.set(refresh, { clientId, resource, scopes });
		return {
			access_token: token,
			token_type: "bearer",
			expires_in: this.accessTtlSeconds,
			refresh_token: refresh,
			scope: scopes.join(" "),
		};
	}

	override async exchangeAuthorizationCode(
		client: OAuthClientInformationFull,
		code: string,
		verifier?: string,
	): Promise<OAuthTokens> {
		// The demo checks the code (its client, its resource) and spends it; its token is not used.
		let demo: OAuthTokens;
		try {
			demo = await super.exchangeAuthorizationCode(client, code, verifier);
		} catch (error) {
			throw new InvalidGrantError(`authorization code refused: ${(error as Error).message}`);
		}
		const resource = new URL(this.resourceUrl);
		return this.issue(client.client_id, demo.scope ? demo.scope.split(" ") : [], resource);
	}

	override async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string): Promise<OAuthTokens> {
		this.refreshes++;
		const grant = this.refreshTokens.get(refreshToken);
		if (this.refuseRefresh || !grant || grant.clientId !== client.client_id)
			throw new InvalidGrantError("refresh token refused");
		// Rotation: a refresh token works once.
		this.refreshTokens.delete(refreshToken);
		return this.issue(client.client_id, grant.scopes, grant.resource);
	}

	override async verifyAccessToken(token: string): Promise<AuthInfo> {
		const info = this.accessTokens.get(token);
		if (!info?.expiresAt || info.expiresAt * 1000 < Date.now()) throw new InvalidTokenError("invalid or expired token");
		return info;
	}

	async revokeToken(_client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
		this.accessTokens.delete(request.token);
		this.refreshTokens.delete(request.token);
	}

	/** Every token of every client gone (the user revoked Sparky's access at the provider). */
	revokeAll(): void {
		this.accessTokens.clear();
		this.refreshTokens.clear();
	}
}

export interface OAuthMcpServer {
	url: string;
	/** The same tools on the 2026-07-28 revision only, behind the same bearer check. */
	modernUrl: string;
	/** What each POST to `modernUrl` carried. */
	modernSeen: SeenRequest[];
	issuer: string;
	provider: TestAuthProvider;
	close(): Promise<void>;
}

/** One MCP server with one tool, `whoami`, that says which OAuth client called it. */
function mcpServerFor(clientId: string): McpServer {
	const server = new McpServer({ name: "oauth-test", version: "1.0.0" });
	server.registerTool(
		"whoami",
		{ description: "Says which OAuth client is calling", inputSchema: { greeting: z.string().optional() } },
		async ({ greeting }) => ({ content: [{ type: "text", text: `${greeting ?? "hello"}, client ${clientId}` }] }),
	);
	server.registerTool(
		"add",
		{
			description: "Adds two numbers",
			inputSchema: { a: z.number(), b: z.number() },
			annotations: { readOnlyHint: true },
		},
		async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
	);
	return server;
}

/**
 * Starts the server on 127.0.0.1:`port`: the authorization server at its root, the MCP
 * endpoint at /mcp (stateless Streamable HTTP), protected by a bearer token issued for it.
 */
export async function startOAuthMcpServer(port: number): Promise<OAuthMcpServer> {
	const base = new URL(`http://127.0.0.1:${port}/`);
	const mcpUrl = new URL("/mcp", base);
	const provider = new TestAuthProvider(mcpUrl.href);
	const modernSeen: SeenRequest[] = [];
	const app = express();
	app.use(
		mcpAuthRouter({
			provider,
			issuerUrl: base,
			resourceServerUrl: mcpUrl,
			scopesSupported: ["mcp:tools"],
			authorizationOptions: { rateLimit: false },
			tokenOptions: { rateLimit: false },
			clientRegistrationOptions: { rateLimit: false },
			revocationOptions: { rateLimit: false },
		}),
	);
	const bearer = requireBearerAuth({
		verifier: provider,
		requiredScopes: [],
		resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
		expectedResource: mcpUrl,
	});
	app.post("/mcp", express.json(), bearer, async (req, res) => {
		const server = mcpServerFor(req.auth?.clientId ?? "?");
		const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
		res.on("close", () => {
			void transport.close();
			void server.close();
		});
		await server.connect(transport);
		await transport.handleRequest(req, res, req.body);
	});
	// The same tools on the stateless 2026-07-28 revision only (the 2.x SDK), behind the same
	// bearer check; its path lies under /mcp, so the resource metadata of /mcp covers it.
	const modern = modernHandler(
		modernSeen,
		(req) => `client ${(req as { auth?: { clientId?: string } }).auth?.clientId ?? "?"}`,
	);
	app.post("/mcp/modern", express.json(), bearer, (req, res) => modern(req, res, req.body));
	app.all("/mcp", bearer, (_req, res) => {
		res.status(405).set("Allow", "POST").end();
	});
	const http = await listenOn(createServer(app), port);
	return {
		url: mcpUrl.href,
		modernUrl: new URL("/mcp/modern", base).href,
		modernSeen,
		issuer: base.href,
		provider,
		close: async () => {
			http.closeAllConnections();
			await new Promise((r) => http.close(r));
		},
	};
}
