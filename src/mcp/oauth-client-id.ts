/**
 * Who Sparky is at an authorization server: the Client ID Metadata Document it hosts
 * (`/oauth/client-metadata.json`, whose URL is the client_id where the server advertises
 * `client_id_metadata_document_supported`), else a client registered on the spot (RFC 7591,
 * the SDK's `registerClient`). Sparky is a public client: PKCE, no secret of its own.
 */
import { registerClient } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationFull, OAuthClientMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import { z } from "zod";
import { messageOf } from "./client.ts";
import type { SignInTarget } from "./oauth-discovery.ts";
import { SignInUnavailable } from "./oauth-discovery.ts";

export const OAUTH_CALLBACK_PATH = "/oauth/callback";
export const OAUTH_CLIENT_METADATA_PATH = "/oauth/client-metadata.json";

/** Sparky's public URLs at `origin` (the origin the user reached Sparky at). */
export const callbackUrl = (origin: string) => new URL(OAUTH_CALLBACK_PATH, origin).href;
export const clientMetadataUrl = (origin: string) => new URL(OAUTH_CLIENT_METADATA_PATH, origin).href;

/** What Sparky says about itself, in the metadata document and in a registration. */
export function sparkyClientMetadata(origin: string): OAuthClientMetadata & { client_id: string } {
	return {
		client_id: clientMetadataUrl(origin),
		client_name: "Sparky",
		client_uri: new URL("/", origin).href,
		redirect_uris: [callbackUrl(origin)],
		grant_types: ["authorization_code", "refresh_token"],
		response_types: ["code"],
		token_endpoint_auth_method: "none",
	};
}

/** The client Sparky is at one authorization server (kept sealed: a registration may return a secret). */
export const OAuthClientSchema = z.looseObject({
	client_id: z.string().min(1).max(2048),
	client_secret: z.string().max(4096).optional(),
	client_secret_expires_at: z.number().optional(),
	token_endpoint_auth_method: z.string().max(64).optional(),
});
export type OAuthClient = z.infer<typeof OAuthClientSchema>;

/** A metadata document's URL may only be a client_id the server fetches itself: https, with a path. */
const usableAsClientId = (url: string) => {
	const parsed = new URL(url);
	return parsed.protocol === "https:" && parsed.pathname !== "/";
};

/**
 * The client to use at `target`: the metadata document's URL when the server accepts one
 * (and Sparky is reached over https, so the server can fetch it), else a registration.
 */
export async function clientFor(target: SignInTarget, origin: string, fetchFn: typeof fetch): Promise<OAuthClient> {
	const documentUrl = clientMetadataUrl(origin);
	if (target.metadata.client_id_metadata_document_supported === true && usableAsClientId(documentUrl)) {
		return { client_id: documentUrl, token_endpoint_auth_method: "none" };
	}
	if (!target.metadata.registration_endpoint) {
		throw new SignInUnavailable(
			`${target.issuer} takes neither a client metadata document from Sparky (it needs https) nor a dynamic registration`,
		);
	}
	const { client_id: _ignored, ...metadata } = sparkyClientMetadata(origin);
	let registered: OAuthClientInformationFull;
	try {
		registered = await registerClient(target.issuer, {
			metadata: target.metadata,
			clientMetadata: metadata,
			scope: target.scope ?? undefined,
			fetchFn,
		});
	} catch (error) {
		throw new SignInUnavailable(`registering Sparky as a client at ${target.issuer} failed: ${messageOf(error)}`);
	}
	return OAuthClientSchema.parse({
		client_id: registered.client_id,
		client_secret: registered.client_secret,
		client_secret_expires_at: registered.client_secret_expires_at,
		token_endpoint_auth_method: registered.token_endpoint_auth_method,
	});
}
