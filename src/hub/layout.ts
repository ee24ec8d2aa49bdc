/**
 * The layout of a hub's SQLite (its tables), versioned: the `meta` row `layout` says which
 * version a hub is on. On wake (EventLog's construction, the first thing a hub does) a hub on an
 * earlier layout is brought to HUB_LAYOUT in one transaction (all of it or none of it), whatever
 * layout it was on. The layouts so far (from git history of src/hub/):
 *
 *   1  137a278 … 70a8359: `events`, one row per event (seq, id UNIQUE, type, task_id, chat_id,
 *      stored_at, json) with three indexes; `meta` (last_seq); `sessions`. No version row.
 *   2  356ec0b on: `log`, one row per publish (seq of its first event, n events, task_id or
 *      chat_id when they share one, `*` when not, json: the events one per line); `meta`;
 *      `sessions`. The version row from issue #32 on; a hub without one is recognised by its tables.
 *
 * A new layout: HUB_LAYOUT + 1, one entry in UPGRADES from the previous one, and CURRENT
 * changed to match (test/migrations/hub-layout.test.ts upgrades every earlier layout with
 * events in it and compares with a new hub). Additive first (docs/architecture.md, "Changing a
 * schema"): code of the previous layout must keep working on the new one while a deploy rolls
 * out, since a hub may be woken by either.
 */
export const HUB_LAYOUT = 2;

/** The current layout, as a new hub gets it. */
const CURRENT = `
	CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS log (
		seq INTEGER PRIMARY KEY,
		n INTEGER NOT NULL,
		task_id TEXT,
		chat_id TEXT,
		stored_at INTEGER NOT NULL,
		json TEXT NOT NULL
	);
	${sessionsTable()}
`;

/** The step from layout `n` to `n + 1`, run inside the upgrade's transaction. */
const UPGRADES: Record<number, (sql: SqlStorage) => void> = {
	// One row per event into one row per publish: each event becomes a row of its own (n = 1),
	// which every reader of layout 2 reads as it reads any row; seqs are kept as they were. `log`
	// may exist already (layout 2's code made it outside its copy's transaction).
	1: (sql) => {
		sql.exec(CURRENT);
		sql.exec(
			"INSERT OR IGNORE INTO log (seq, n, task_id, chat_id, stored_at, json) SELECT seq, 1, task_id, chat_id, stored_at, json FROM events",
		);
		sql.exec("DROP TABLE events");
	},
};

/** The sessions table: the same in every layout so far. */
export function sessionsTable(): string {
	return `
		CREATE TABLE IF NOT EXISTS sessions (
			id TEXT PRIMARY KEY,
			user_id TEXT NOT NULL,
			token_id TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			last_seen_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL
		);
		CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions(expires_at);
	`;
}

/** Which layout a hub's SQLite is on: 0 for a new hub (no tables), else its version row or its tables. */
export function layoutOf(sql: SqlStorage): number {
	const tables = new Set(
		sql
			.exec<{ name: string }>(
				"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'events', 'log')",
			)
			.toArray()
			.map((row) => row.name),
	);
	if (tables.has("meta")) {
		const row = sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'layout'").toArray()[0];
		if (row) return row.value;
	}
	if (tables.has("events")) return 1;
	if (tables.has("log")) return 2;
	return 0;
}

/**
 * Brings a hub's SQLite to HUB_LAYOUT, in one transaction, and returns the layout it was on.
 * A hub already there costs two reads. A layout newer than this code's (a rollback, or an old
 * version still running while a deploy rolls out) is left alone: it is additive, so this code
 * keeps working on it.
 */
export function upgradeHubLayout(storage: DurableObjectStorage): number {
	const sql = storage.sql;
	const found = layoutOf(sql);
	if (found >= HUB_LAYOUT) return found;
	storage.transactionSync(() => {
		for (let layout = found; layout > 0 && layout < HUB_LAYOUT; layout++) {
			const step = UPGRADES[layout];
			if (!step) throw new Error(`hub layout ${layout} has no upgrade to ${layout + 1}`);
			step(sql);
		}
		sql.exec(CURRENT);
		sql.exec(
			"INSERT INTO meta (key, value) VALUES ('layout', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			HUB_LAYOUT,
		);
	});
	return found;
}
