import { z } from "zod";
import { ADMIN_SECRET_TOKEN_ID } from "../auth/types.ts";
import { type AuthContext, type Role, RoleSchema } from "../protocol/index.ts";
import { isTokenLive } from "../storage/tokens.ts";

/**
 * What a grant (a connected app) keeps of the credential that approved it, so the app can never
 * do more, or for longer, than that credential: an admin's `user`-role token connects a
 * `user`-role app, and the app stops when that token is revoked or expires.
 */
export const GrantPropsSchema = z.object({
	userId: z.string(),
	role: RoleSchema,
	tokenId: z.string(),
	tokenExpiresAt: z.number().nullable(),
});
export type GrantProps = z.infer<typeof GrantPropsSchema>;

export function grantPropsOf(approver: AuthContext): GrantProps {
	return {
		userId: approver.userId,
		role: approver.role,
		tokenId: approver.tokenId,
		tokenExpiresAt: approver.tokenExpiresAt,
	};
}

/** The lesser of two roles: an app acts with its approver's role, and never above its user's now. */
export function lesserRole(a: Role, b: Role): Role {
	return a === "admin" && b === "admin" ? "admin" : "user";
}

/** Who approved a grant: its props, or for a grant made before they named a token, no token. */
export type Approver = Omit<GrantProps, "tokenId"> & { tokenId: string | null };

/**
 * Whether the approving credential still opens doors. A grant made before its props named the
 * token has none to check (`approverOf`); the admin secret has no record, and lasts while it is
 * configured.
 */
export async function approverLive(db: D1Database, approver: Approver, now: number): Promise<boolean> {
	if (approver.tokenExpiresAt !== null && approver.tokenExpiresAt <= now) return false;
	if (approver.tokenId === null || approver.tokenId === ADMIN_SECRET_TOKEN_ID) return true;
	return isTokenLive(db, approver.tokenId, now);
}

/**
 * A grant's approver from its props as stored, or null when they are not a grant's. A grant
 * made before they named the approver (just `{ userId }`) reads as a plain user's approval
 * with no token to check or expire: the least it may be.
 */
export function approverOf(props: unknown): Approver | null {
	const parsed = GrantPropsSchema.safeParse(props);
	if (parsed.success) return parsed.data;
	const legacy = z.object({ userId: z.string() }).safeParse(props);
	return legacy.success ? { userId: legacy.data.userId, role: "user", tokenId: null, tokenExpiresAt: null } : null;
}
