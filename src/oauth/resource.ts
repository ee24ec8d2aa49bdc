/**
 * `/mcp` as an OAuth protected resource (RFC 9728): its metadata, the challenge a request
 * without a usable token gets, and who a bearer token acts as. Two kinds of token are taken:
 * a Sparky API token (every scope, exactly as before OAuth) and an access token this origin's
 * authorization server issued for `<origin>/mcp` (the scopes the user approved). A token
 * issued for any other resource is refused.
 */
import { authenticateToken } from "../auth/authenticate.ts";
import { log } from "../log.ts";
import { type AuthContext, MCP_SCOPES, type McpScope, McpScopeSchema } from "../protocol/index.ts";
import { getUser } from "../storage/users.ts";
import { approverLive, approverOf, lesserRole } from "./grant-props.ts";
import { authorizationServer, MCP_PATH, mcpResource } from "./server.ts";

/** Who calls `/mcp`, and what they may do there. */
export interface McpCaller {
	auth: AuthContext;
	scopes: readonly McpScope[];
	/** `api_token`: a Sparky API token; `oauth`: an app the user connected. */
	via: "api_token" | "oauth";
}

const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** RFC 9728 §3.1: the metadata URL of `<origin>/mcp` (the path goes after the well-known prefix). */
export const resourceMetadataUrl = (origin: string) => `${origin}${WELL_KNOWN}${MCP_PATH}`;

/** Whether `pathname` asks for `/mcp`'s metadata (path-aware, or the origin's, which clients try next). */
export const isResourceMetadataPath = (pathname: string) =>
	pathname === `${WELL_KNOWN}${MCP_PATH}` || pathname === WELL_KNOWN;

/** The protected resource metadata document (RFC 9728 §2). */
export function protectedResourceMetadata(origin: string) {
	return {
		resource: mcpResource(origin),
		authorization_servers: [origin],
		// Every scope: hosts ask for all of them at once, and the user narrows them on the consent page.
		scopes_supported: [...MCP_SCOPES],
		bearer_methods_supported: ["header"],
		resource_name: "Sparky",
	};
}

/**
 * The `WWW-Authenticate` value of a 401 at `/mcp` (RFC 6750 §3, RFC 9728 §5.1). Without OAuth
 * on this origin it names only the realm, as before.
 */
export function bearerChallenge(origin: string, tokenSent: boolean): string {
	if (!authorizationServer(origin)) return 'Bearer realm="sparky"';
	const parts = [
		'realm="sparky"',
		`resource_metadata="${resourceMetadataUrl(origin)}"`,
		`scope="${MCP_SCOPES.join(" ")}"`,
	];
	if (tokenSent) parts.push('error="invalid_token"');
	return `Bearer ${parts.join(", ")}`;
}

/** Who `token` acts as at `origin`'s `/mcp`, or null (unknown, expired, revoked, another resource's). */
export async function mcpCaller(env: Env, token: string, origin: string): Promise<McpCaller | null> {
	const auth = await authenticateToken(env, token);
	if (auth) return { auth, scopes: MCP_SCOPES, via: "api_token" };
	const server = authorizationServer(origin);
	if (!server) return null;
	let validated: Awaited<ReturnType<typeof server.validateToken>>;
	try {
		validated = await server.validateToken(mcpResource(origin), token, env);
	} catch (error) {
		log.warn("could not validate an OAuth token", { error: (error as Error).message });
		return null;
	}
	if (!validated) return null;
	const approver = approverOf(validated.props);
	if (approver?.userId !== validated.userId) return null;
	// The user as they are now (a removed user's apps stop working, a changed role applies), and
	// the credential that approved the app: the app lasts while it does, and does no more.
	const [user, live] = await Promise.all([
		getUser(env.DB, validated.userId),
		approverLive(env.DB, approver, Date.now()),
	]);
	if (!user || !live) return null;
	const scopes = validated.scope.filter((s): s is McpScope => McpScopeSchema.safeParse(s).success);
	return {
		auth: {
			userId: user.id,
			role: lesserRole(user.role, approver.role),
			tokenId: `oauth:${validated.clientId}`,
			tokenExpiresAt: Math.min(validated.expiresAt * 1000, approver.tokenExpiresAt ?? Number.POSITIVE_INFINITY),
		},
		scopes,
		via: "oauth",
	};
}
