import type { Role } from "../protocol/index.ts";

export interface UserRecord {
	id: string;
	role: Role;
	created_at: number;
}

export async function getUser(db: D1Database, id: string): Promise<UserRecord | null> {
	return db.prepare("SELECT id, role, created_at FROM users WHERE id = ?").bind(id).first<UserRecord>();
}

/** How many ids `userExists` remembers per isolate (the oldest is forgotten first). */
const KNOWN_USERS_MAX = 10_000;
/**
 * Ids seen to exist in this isolate. Sparky never deletes a user (no route or job removes the
 * row), so a hit never goes stale; a row an operator deletes by hand is forgotten with the isolate.
 */
const knownUsers = new Set<string>();

/** Whether the user exists: once seen, answered from memory (a notice to a user reads D1 once per isolate). */
export async function userExists(db: D1Database, id: string): Promise<boolean> {
	if (knownUsers.has(id)) return true;
	if (!(await getUser(db, id))) return false;
	knownUsers.add(id);
	if (knownUsers.size > KNOWN_USERS_MAX) knownUsers.delete(knownUsers.values().next().value as string);
	return true;
}

/** Creates a user; null when the id is taken. */
export async function createUser(db: D1Database, user: UserRecord): Promise<UserRecord | null> {
	return db
		.prepare(
			"INSERT INTO users (id, role, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id, role, created_at",
		)
		.bind(user.id, user.role, user.created_at)
		.first<UserRecord>();
}

export async function listUsers(db: D1Database): Promise<UserRecord[]> {
	const { results } = await db.prepare("SELECT id, role, created_at FROM users ORDER BY id").all<UserRecord>();
	return results;
}
