import { env } from "cloudflare:workers";
import { newSecret, sha256Hex } from "../../src/auth/secrets.ts";
import type { Role } from "../../src/protocol/index.ts";
import { newId } from "../../src/protocol/index.ts";
import { insertToken } from "../../src/storage/tokens.ts";
import { createUser, type UserRecord } from "../../src/storage/users.ts";

/** A fresh user written straight to D1 (unique id per call), for tests of the query modules. */
export async function dbUser(role: Role = "user"): Promise<UserRecord> {
	const user = await createUser(env.DB, { id: newId("u", 9), role, created_at: Date.now() });
	if (!user) throw new Error("user id taken");
	return user;
}

/** A fresh user with a real token secret, stored as the API stores it (hash only). */
export async function dbToken(expiresAt: number | null = null, role: Role = "user") {
	const user = await dbUser(role);
	const secret = newSecret("spk");
	const id = newId("tok", 9);
	const record = { id, user_id: user.id, name: null, role, created_at: 1, expires_at: expiresAt };
	await insertToken(env.DB, { ...record, revoked_at: null, last_used_at: null }, await sha256Hex(secret));
	return { secret, id, userId: user.id };
}
