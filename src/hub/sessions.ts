import { newId } from "../protocol/index.ts";
import { sessionsTable } from "./layout.ts";

export type SessionRow = {
	id: string;
	user_id: string;
	token_id: string;
	created_at: number;
	last_seen_at: number;
	expires_at: number;
};

/**
 * The hub's session map: one row per tab or device. A client that reconnects with its
 * session id keeps it while it is unexpired; the hub's alarm drops expired ones.
 */
export class SessionStore {
	readonly #sql: SqlStorage;

	constructor(sql: SqlStorage) {
		this.#sql = sql;
		// The hub's layout upgrade (layout.ts, run by EventLog's construction first) makes it too;
		// this keeps a SessionStore made on its own working.
		this.#sql.exec(sessionsTable());
	}

	/** Resumes `requested` when it is this user's and unexpired; otherwise starts a new session. */
	open(
		requested: string | undefined,
		userId: string,
		tokenId: string,
		now: number,
		ttlMs: number,
	): { session: SessionRow; resumed: boolean } {
		if (requested) {
			const existing = this.#sql
				.exec<SessionRow>(
					"UPDATE sessions SET last_seen_at = ?, expires_at = ?, token_id = ? WHERE id = ? AND user_id = ? AND expires_at > ? RETURNING *",
					now,
					now + ttlMs,
					tokenId,
					requested,
					userId,
					now,
				)
				.toArray()[0];
			if (existing) return { session: existing, resumed: true };
		}
		const session: SessionRow = {
			id: newId("ses"),
			user_id: userId,
			token_id: tokenId,
			created_at: now,
			last_seen_at: now,
			expires_at: now + ttlMs,
		};
		this.#sql.exec(
			"INSERT INTO sessions (id, user_id, token_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			session.id,
			session.user_id,
			session.token_id,
			session.created_at,
			session.last_seen_at,
			session.expires_at,
		);
		return { session, resumed: false };
	}

	/** Marks sessions as seen now (their sockets are open or just spoke). */
	touch(ids: Iterable<string>, now: number, ttlMs: number): void {
		for (const id of new Set(ids)) {
			this.#sql.exec("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?", now, now + ttlMs, id);
		}
	}

	/** Deletes expired sessions, except those with a socket still open. */
	sweep(now: number, open: ReadonlySet<string>): number {
		const expired = this.#sql
			.exec<{ id: string }>("SELECT id FROM sessions WHERE expires_at <= ?", now)
			.toArray()
			.filter((row) => !open.has(row.id));
		for (const row of expired) this.#sql.exec("DELETE FROM sessions WHERE id = ?", row.id);
		return expired.length;
	}

	list(): SessionRow[] {
		return this.#sql.exec<SessionRow>("SELECT * FROM sessions ORDER BY created_at").toArray();
	}

	nextExpiry(): number | undefined {
		const row = this.#sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM sessions").one();
		return row.at ?? undefined;
	}
}
