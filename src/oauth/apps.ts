/**
 * Connected apps: the OAuth grants a user gave on the consent page. Listing reads the
 * grants' own records; revoking one deletes the grant and every token it issued, so the
 * app's next call to `/mcp` is a 401 and its refresh token is refused.
 */
import type { GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { notFound } from "../errors.ts";
import type { ConnectedApp } from "../protocol/index.ts";

/** What a grant keeps beside its scopes: the consent page's facts, for the list. */
export interface GrantMetadata {
	client_name: string;
	redirect_host: string;
}

/** More than a user may have (`SPARKY_MAX_CONNECTED_APPS`), so one page of them is all of them. */
const PAGE = 1000;

/** Every grant of `userId`, in creation order. */
export async function userGrants(oauth: OAuthHelpers, userId: string): Promise<GrantSummary[]> {
	const grants: GrantSummary[] = [];
	let cursor: string | undefined;
	do {
		const page = await oauth.listUserGrants(userId, { limit: PAGE, cursor });
		grants.push(...page.items);
		cursor = page.cursor;
	} while (cursor);
	return grants.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

export function toConnectedApp(grant: GrantSummary): ConnectedApp {
	const meta = (grant.metadata ?? {}) as Partial<GrantMetadata>;
	return {
		id: grant.id,
		client_id: grant.clientId,
		client_name: typeof meta.client_name === "string" ? meta.client_name : grant.clientId,
		redirect_host: typeof meta.redirect_host === "string" ? meta.redirect_host : null,
		scopes: grant.scope,
		created_at: grant.createdAt * 1000,
		expires_at: grant.expiresAt ? grant.expiresAt * 1000 : null,
	};
}

export async function listConnectedApps(oauth: OAuthHelpers, userId: string): Promise<ConnectedApp[]> {
	return (await userGrants(oauth, userId)).map(toConnectedApp);
}

/** Revokes one of `userId`'s apps; someone else's, or one that is gone, is not found. */
export async function revokeConnectedApp(oauth: OAuthHelpers, userId: string, id: string): Promise<ConnectedApp> {
	const grant = (await userGrants(oauth, userId)).find((g) => g.id === id);
	if (!grant) throw notFound(`connected app ${id}`);
	await oauth.revokeGrant(grant.id, userId);
	return toConnectedApp(grant);
}
