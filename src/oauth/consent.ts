/**
 * The consent screen's two steps (the page's `/authorize`, signed in as its user):
 *
 * 1. `startConsent`: the library checks the authorization request (client, exact registered
 *    redirect URI, PKCE S256, resource) and keeps it server-side under a single-use handle,
 *    bound to this browser by a `__Host-` cookie; the page gets what it must show.
 * 2. `decideConsent`: the handle and the cookie must match and work once. Approved, the grant
 *    is made for the signed-in user with the scopes they left ticked, and the browser goes to
 *    the client with a code; denied, with `access_denied`.
 *
 * Both are JSON calls the page makes with its bearer token, which another site can't send:
 * a forged decision has neither the token nor the cookie. The redirect URI only ever comes
 * from the stored request, never from what the page posts.
 */
import { AuthorizationError, CimdFetchError, type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { capsConfig } from "../config.ts";
import type { Deps } from "../deps.ts";
import { conflict, invalid } from "../errors.ts";
import { type AuthContext, type Consent, type ConsentDecisionBody, MCP_SCOPES } from "../protocol/index.ts";
import { type GrantMetadata, userGrants } from "./apps.ts";
import { grantPropsOf } from "./grant-props.ts";
import { AUTHORIZE_PATH } from "./server.ts";

export type ConsentStart = { consent: Consent; headers: Headers } | { redirectTo: string };

/** Checks an authorization request (its query string) and opens a consent for it. */
export async function startConsent(oauth: OAuthHelpers, origin: string, query: string): Promise<ConsentStart> {
	const search = query.startsWith("?") ? query : `?${query}`;
	let request: Awaited<ReturnType<OAuthHelpers["parseAuthRequest"]>>;
	try {
		request = await oauth.parseAuthRequest(new Request(`${origin}${AUTHORIZE_PATH}${search}`));
	} catch (error) {
		// Redirect only where the library vouches for the client and its exact redirect URI.
		if (error instanceof AuthorizationError && error.redirectTo) return { redirectTo: error.redirectTo };
		throw refusal(error);
	}
	const details = await oauth.describeConsent(request).catch((error: unknown) => {
		throw refusal(error);
	});
	const { handle, headers } = await oauth.beginConsent(request);
	const known = MCP_SCOPES.filter((scope) => request.scope.includes(scope));
	return {
		consent: {
			handle,
			client_id: details.clientId,
			client_name: details.clientName,
			client_domain: details.clientDomain ?? null,
			redirect_host: details.redirectHost,
			redirect_is_loopback: details.redirectIsLoopback,
			// A request that names none of Sparky's scopes is offered all of them, each to untick.
			scopes: known.length > 0 ? known : [...MCP_SCOPES],
		},
		headers,
	};
}

/**
 * The user's answer. `request` is the page's own call (its cookie binds the handle). Returns
 * where to send the browser, and the cookies to clear.
 */
export async function decideConsent(
	deps: Deps,
	oauth: OAuthHelpers,
	request: Request,
	body: ConsentDecisionBody,
	user: AuthContext,
): Promise<{ redirectTo: string; headers: Headers }> {
	try {
		if (!body.approved) {
			const denied = await oauth.denyConsent(request, body.handle);
			denied.headers.delete("Location");
			return { redirectTo: denied.redirectTo, headers: denied.headers };
		}
		const scopes = MCP_SCOPES.filter((scope) => body.scopes?.includes(scope));
		if (scopes.length === 0) throw invalid("approve at least one scope, or deny", [{ path: "scopes" }]);
		// Every app a user connects is a grant: counted against the cap before it is made (its rate
		// was spent when the consent began, routes/consent.ts: one approval per consent begun).
		const cap = capsConfig(deps.env).connectedApps;
		if ((await userGrants(oauth, user.userId)).length >= cap) {
			throw conflict(`you have ${cap} connected apps, the most one user may have; revoke one first`, {
				limit: cap,
				cap: "SPARKY_MAX_CONNECTED_APPS",
			});
		}
		const approved = await oauth.approveConsent(request, body.handle, { scope: scopes });
		const details = await oauth.describeConsent(approved.request);
		const metadata: GrantMetadata = { client_name: details.clientName, redirect_host: details.redirectHost };
		const { redirectTo } = await oauth.completeAuthorization({
			request: approved.request,
			userId: user.userId,
			metadata,
			scope: approved.request.scope,
			// Who approved, so the app never does more, or for longer, than that credential (grant-props.ts).
			props: grantPropsOf(user),
		});
		return { redirectTo, headers: approved.headers };
	} catch (error) {
		throw refusal(error);
	}
}

/** The library's expected refusals as Sparky's errors; anything else (a KV outage) stays a 500. */
function refusal(error: unknown): unknown {
	if (error instanceof AuthorizationError) return invalid(`authorization request refused: ${error.description}`);
	if (error instanceof CimdFetchError) return invalid("this app's metadata document could not be fetched or verified");
	return error;
}
