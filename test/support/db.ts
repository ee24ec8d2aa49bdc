import { env } from "cloudflare:workers";
import type { Role } from "../../src/protocol/index.ts";
import { newId } from "../../src/protocol/index.ts";
import { createUser, type UserRecord } from "../../src/storage/users.ts";

/** A fresh user written straight to D1 (unique id per call), for tests of the query modules. */
export async function dbUser(role: Role = "user"): Promise<UserRecord> {
	const user = await createUser(env.DB, { id: newId("u", 9), role, created_at: Date.now() });
	if (!user) throw new Error("user id taken");
	return user;
}
