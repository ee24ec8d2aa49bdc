import { log } from "../log.ts";
import type { AuthContext } from "../protocol/index.ts";
import { findLiveToken } from "../storage/tokens.ts";
import { secretsEqual, sha256Hex } from "./secrets.ts";
import { ADMIN_SECRET_TOKEN_ID, ADMIN_USER_ID } from "./types.ts";

/** The bootstrap secret must be long enough to be a real secret, or it is ignored. */
const MIN_ADMIN_SECRET_LENGTH = 24;
let warnedShortSecret = false;

/** Resolves a bearer token to who it acts as, or null. Never logs the token. */
export async function authenticateToken(env: Env, token: string, now = Date.now()): Promise<AuthContext | null> {
	if (token.length < 8 || token.length > 512) return null;
	const adminSecret = env.SPARKY_ADMIN_TOKEN;
	if (adminSecret) {
		if (adminSecret.length < MIN_ADMIN_SECRET_LENGTH) {
			if (!warnedShortSecret)
				log.warn("SPARKY_ADMIN_TOKEN is too short and is ignored", { min: MIN_ADMIN_SECRET_LENGTH });
			warnedShortSecret = true;
		} else if (await secretsEqual(token, adminSecret)) {
			return { userId: ADMIN_USER_ID, role: "admin", tokenId: ADMIN_SECRET_TOKEN_ID, tokenExpiresAt: null };
		}
	}
	return findLiveToken(env.DB, await sha256Hex(token), now);
}

/** The token from `Authorization: Bearer <token>`, if well-formed. */
export function bearerToken(header: string | undefined): string | undefined {
	const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
	return match?.[1];
}
