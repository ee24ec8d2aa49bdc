/**
 * Where an MCP server signs in: its Protected Resource Metadata (RFC 9728), the authorization
 * server it names and that server's metadata (RFC 8414, or OpenID discovery), through the SDK's
 * discovery functions. Every hop goes through the caller's fetch (the network guard).
 */
import {
	discoverAuthorizationServerMetadata,
	discoverOAuthProtectedResourceMetadata,
} from "@modelcontextprotocol/sdk/client/auth.js";
import type { AuthorizationServerMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import { checkResourceAllowed, resourceUrlFromServerUrl } from "@modelcontextprotocol/sdk/shared/auth-utils.js";
import { McpUnavailable, messageOf } from "./client.ts";

/** What a 401's `WWW-Authenticate` said (RFC 9728 §5.1). */
export interface AuthChallenge {
	resourceMetadataUrl?: string;
	scope?: string;
}

/** Where and how a server signs in; all public (no secret here). */
export interface SignInTarget {
	/** RFC 8707 resource indicator, exactly as the metadata spells it (null: no metadata, a 2025-03-26 server). */
	resource: string | null;
	resourceMetadataUrl: string | null;
	/** The authorization server's `issuer` (checked against the URL it was found at). */
	issuer: string;
	metadata: AuthorizationServerMetadata;
	scope: string | null;
}

/** A server that can't be signed in to as it stands (its metadata is missing, wrong or refused). */
export class SignInUnavailable extends McpUnavailable {
	constructor(message: string) {
		super(message);
		this.name = "SignInUnavailable";
	}
}

/** Two issuer identifiers, compared as URLs and tolerating one trailing slash (as the SDK does). */
export function sameIssuer(a: string, b: string): boolean {
	const norm = (value: string) => {
		try {
			return new URL(value).href.replace(/\/$/, "");
		} catch {
			return value.replace(/\/$/, "");
		}
	};
	return norm(a) === norm(b);
}

/**
 * Discovers how `serverUrl` signs in. The resource metadata must name this server (a server
 * can't send Sparky's user to sign in for another resource), the authorization server's
 * metadata must carry its own URL as `issuer` (RFC 8414 §3.3), and it must offer the
 * authorization code flow with PKCE S256 (OAuth 2.1).
 */
export async function discoverSignIn(
	serverUrl: string,
	challenge: AuthChallenge,
	fetchFn: typeof fetch,
): Promise<SignInTarget> {
	const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
		try {
			return await work();
		} catch (error) {
			throw new SignInUnavailable(`${what} failed: ${messageOf(error)}`);
		}
	};
	// 2025-03-26 servers have no resource metadata: their own origin is the authorization server.
	const resourceMetadata = await step("reading the protected resource metadata", () =>
		discoverOAuthProtectedResourceMetadata(serverUrl, { resourceMetadataUrl: challenge.resourceMetadataUrl }, fetchFn),
	).catch((error: SignInUnavailable) => {
		if (challenge.resourceMetadataUrl || !/does not implement/.test(error.message)) throw error;
		return undefined;
	});
	if (
		resourceMetadata &&
		!checkResourceAllowed({
			requestedResource: resourceUrlFromServerUrl(serverUrl),
			configuredResource: resourceMetadata.resource,
		})
	) {
		throw new SignInUnavailable(
			`the server's resource metadata is for ${resourceMetadata.resource}, not for ${serverUrl}; Sparky won't sign in for another resource`,
		);
	}
	const authorizationServer = resourceMetadata?.authorization_servers?.[0] ?? new URL("/", serverUrl).href;
	const metadata = await step("reading the authorization server's metadata", () =>
		discoverAuthorizationServerMetadata(authorizationServer, { fetchFn }),
	);
	if (!metadata) throw new SignInUnavailable(`${authorizationServer} publishes no OAuth authorization server metadata`);
	if (!sameIssuer(metadata.issuer, authorizationServer)) {
		throw new SignInUnavailable(
			`the authorization server's metadata names issuer ${metadata.issuer}, not ${authorizationServer} where it was found`,
		);
	}
	if (!metadata.response_types_supported.includes("code"))
		throw new SignInUnavailable(`${metadata.issuer} does not offer the authorization code flow`);
	if (!metadata.code_challenge_methods_supported?.includes("S256"))
		throw new SignInUnavailable(`${metadata.issuer} does not offer PKCE with S256, which OAuth 2.1 requires`);
	for (const endpoint of [metadata.authorization_endpoint, metadata.token_endpoint]) {
		if (!/^https?:\/\//i.test(endpoint)) throw new SignInUnavailable(`${metadata.issuer} lists a non-HTTP endpoint`);
	}
	const scope = challenge.scope ?? resourceMetadata?.scopes_supported?.join(" ") ?? null;
	return {
		resource: resourceMetadata?.resource ?? null,
		resourceMetadataUrl: challenge.resourceMetadataUrl ?? null,
		issuer: metadata.issuer,
		metadata,
		scope: scope || null,
	};
}
