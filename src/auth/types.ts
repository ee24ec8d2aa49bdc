export type Role = "admin" | "user";

/** Who a request (or socket) acts as, once its credential checked out. */
export interface AuthContext {
	userId: string;
	role: Role;
	/** The credential's id (`admin_secret` for the SPARKY_ADMIN_TOKEN secret). */
	tokenId: string;
	/** When the credential expires (ms since epoch), or null for never. */
	tokenExpiresAt: number | null;
}

/** Token id of the bootstrap credential from the SPARKY_ADMIN_TOKEN secret. */
export const ADMIN_SECRET_TOKEN_ID = "admin_secret";
/** The user the bootstrap credential acts as (created by schema.sql). */
export const ADMIN_USER_ID = "admin";
