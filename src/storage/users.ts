import type { Role } from "../protocol/index.ts";

export interface UserRecord {
	id: string;
	role: Role;
	created_at: number;
}

export async function getUser(db: D1Database, id: string): Promise<UserRecord | null> {
	return db.prepare("SELECT id, role, created_at FROM users WHERE id = ?").bind(id).first<UserRecord>();
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
