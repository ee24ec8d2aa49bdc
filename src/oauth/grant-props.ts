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

/**
 * Whether the approving credential still opens doors. A grant made before its props said who
 * approved it has none to check (`approverOf`); the admin secret has no record, and lasts while
 * it is configured.
 */
export async function approverLive(db: D1Database, props: GrantProps, now: number): Promise<boolean> {
	if (props.tokenExpiresAt !== null && props.tokenExpiresAt <= now) return false;
	if (props.tokenId === ADMIN_SECRET_TOKEN_ID) return true;
	return isTokenLive(db, props.tokenId, now);
}

/**
 * A grant's props as stored, or null when they are not a grant's. Those of a grant made before
 * they named the approver (just `{ userId }`) are `legacy`: nothing to check, and the app acts
 * as a plain user, the least it may be.
 */
export function approverOf(props: unknown): GrantProps | "legacy" | null {
	const parsed = GrantPropsSchema.safeParse(props);
	if (parsed.success) return parsed.data;
	return z.object({ userId: z.string() }).safeParse(props).success ? "legacy" : null;
}
