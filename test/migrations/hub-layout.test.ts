// Hub layouts (issue #32, src/hub/layout.ts): a hub woken on any earlier layout, with events in
// it, is brought to the current one in one transaction; replay afterwards returns the same
// events with the same seqs, sessions and last_seq are kept, and its tables equal a new hub's.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HUB_LAYOUT, layoutOf, upgradeHubLayout } from "../../src/hub/layout.ts";
import { hubFor } from "../../src/hub/stub.ts";
import { newUser } from "../support/api.ts";
import { hubObject, readLog } from "../support/hub.ts";

/** Layout 1 (137a278 … 70a8359), as its EventLog and SessionStore made it. */
const LAYOUT_1 = `
	CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS events (
		seq INTEGER PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		type TEXT NOT NULL,
		task_id TEXT,
		chat_id TEXT,
		stored_at INTEGER NOT NULL,
		json TEXT NOT NULL
	);
	CREATE INDEX IF NOT EXISTS events_stored_at ON events(stored_at);
	CREATE INDEX IF NOT EXISTS events_task ON events(task_id, seq) WHERE task_id IS NOT NULL;
	CREATE INDEX IF NOT EXISTS events_chat ON events(chat_id, seq) WHERE chat_id IS NOT NULL;
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

/** Layout 2 before its version row (356ec0b … issue #32). */
const LAYOUT_2 = `
	CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS log (
		seq INTEGER PRIMARY KEY,
		n INTEGER NOT NULL,
		task_id TEXT,
		chat_id TEXT,
		stored_at INTEGER NOT NULL,
		json TEXT NOT NULL
	);
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

const now = Date.now();
/** Events 3…8 (1 and 2 pruned long ago), last_seq 9 (the 9th aged out): what a used hub holds. */
type StoredEvent = {
	seq: number;
	id: string;
	ts: number;
	type: string;
	name: string;
	value: number;
	task_id?: string;
	chat_id?: string;
};
const EVENTS: StoredEvent[] = [3, 4, 5, 6, 7, 8].map((seq) => ({
	seq,
	id: `evt_${seq}`,
	ts: now - 1000 + seq,
	type: "CUSTOM",
	name: "test",
	value: seq,
	...(seq % 2 === 0 ? { task_id: "task_a" } : { task_id: "task_b", chat_id: "chat_x" }),
}));
const LAST_SEQ = 9;

type Sql = SqlStorage;
const fillLayout1 = (sql: Sql) => {
	for (const e of EVENTS) {
		sql.exec(
			"INSERT INTO events (seq, id, type, task_id, chat_id, stored_at, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.seq,
			e.id,
			e.type,
			e.task_id ?? null,
			e.chat_id ?? null,
			now,
			JSON.stringify(e),
		);
	}
};
const fillLayout2 = (sql: Sql) => {
	// A row per publish (consecutive seqs): [4, 5] mixes threads (a `*` row), [7, 8] too.
	const rows = [[3], [4, 5], [6], [7, 8]];
	for (const seqs of rows) {
		const events = seqs.map((seq) => EVENTS.find((e) => e.seq === seq)!);
		const one = <K extends "task_id" | "chat_id">(k: K) =>
			new Set(events.map((e) => (e as { [P in K]?: string })[k] ?? null)).size === 1
				? ((events[0] as { [P in K]?: string })[k] ?? null)
				: "*";
		sql.exec(
			"INSERT INTO log (seq, n, task_id, chat_id, stored_at, json) VALUES (?, ?, ?, ?, ?, ?)",
			seqs[0],
			seqs.length,
			one("task_id"),
			one("chat_id"),
			now,
			events.map((e) => JSON.stringify(e)).join("\n"),
		);
	}
};

const LAYOUTS = [
	{ name: "layout 1 (one row per event)", layout: 1, ddl: LAYOUT_1, fill: fillLayout1 },
	{
		name: "layout 1 that layout 2's code began upgrading (log made, the copy rolled back)",
		layout: 1,
		ddl: `${LAYOUT_1}\n${LAYOUT_2}`,
		fill: fillLayout1,
	},
	{ name: "layout 2 without a version row", layout: 2, ddl: LAYOUT_2, fill: fillLayout2 },
];

/** A hub's own tables and indexes, whitespace-normalised (workerd's _cf_* left out). */
const tablesOf = (sql: Sql) =>
	sql
		.exec<{ type: string; name: string; sql: string | null }>(
			"SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
		)
		.toArray()
		.map((row) => `${row.type} ${row.name}: ${(row.sql ?? "").replace(/\s+/g, " ")}`);

/** Replaces a hub's tables with an earlier layout's, filled with events and a session. */
async function makeEarlier(userId: string, layout: (typeof LAYOUTS)[number]) {
	await runInDurableObject(hubObject(env, userId), (_hub, state) => {
		const sql = state.storage.sql;
		for (const table of ["events", "log", "meta", "sessions"]) sql.exec(`DROP TABLE IF EXISTS ${table}`);
		sql.exec(layout.ddl);
		layout.fill(sql);
		sql.exec("INSERT INTO meta (key, value) VALUES ('last_seq', ?)", LAST_SEQ);
		sql.exec(
			"INSERT INTO sessions (id, user_id, token_id, created_at, last_seen_at, expires_at) VALUES ('ses_old', ?, 'tok', 1, 2, ?)",
			userId,
			now + 3_600_000,
		);
		expect(layoutOf(sql)).toBe(layout.layout);
	});
	// The next call wakes a new instance: its construction upgrades the layout.
	await evictDurableObject(hubObject(env, userId));
}

describe("hub layouts", () => {
	it.each(LAYOUTS)("a hub on $name wakes on the current layout with every event, seq and session", async (layout) => {
		const fresh = await newUser();
		const freshTables = await runInDurableObject(hubObject(env, fresh.id), (_hub, state) =>
			tablesOf(state.storage.sql),
		);

		const user = await newUser();
		await makeEarlier(user.id, layout);
		const hub = hubFor(env, user.id);
		// Replay after the upgrade: the same events, the same seqs.
		expect((await readLog(env, user.id)).events).toEqual(EVENTS);
		expect((await hub.taskEvents("task_a")).events.map((e) => [e.seq, e.id])).toEqual([
			[4, "evt_4"],
			[6, "evt_6"],
			[8, "evt_8"],
		]);
		expect((await hub.taskEvents("task_b", 3)).events.map((e) => e.seq)).toEqual([5, 7]);
		await runInDurableObject(hubObject(env, user.id), (_hub, state) => {
			const sql = state.storage.sql;
			expect(layoutOf(sql)).toBe(HUB_LAYOUT);
			expect(tablesOf(sql)).toEqual(freshTables);
			expect(sql.exec("SELECT id FROM sessions").toArray()).toEqual([{ id: "ses_old" }]);
		});
		// Numbering goes on from last_seq.
		const { seqs } = await hub.publish([{ type: "CUSTOM", name: "test", value: "after", id: "evt_after" }]);
		expect(seqs).toEqual([LAST_SEQ + 1]);
	});

	it("a hub on the current layout is left as it is; a new hub gets it with its version", async () => {
		const user = await newUser();
		await hubFor(env, user.id).publish([{ type: "CUSTOM", name: "test", value: 1 }]);
		await runInDurableObject(hubObject(env, user.id), (_hub, state) => {
			const before = tablesOf(state.storage.sql);
			expect(upgradeHubLayout(state.storage)).toBe(HUB_LAYOUT);
			expect(tablesOf(state.storage.sql)).toEqual(before);
		});
	});

	it("an upgrade that fails leaves the hub on its earlier layout, every event still there", async () => {
		const user = await newUser();
		await runInDurableObject(hubObject(env, user.id), (_hub, state) => {
			const sql = state.storage.sql;
			for (const table of ["events", "log", "meta", "sessions"]) sql.exec(`DROP TABLE IF EXISTS ${table}`);
			sql.exec(LAYOUT_1);
			fillLayout1(sql);
			// A `log` that refuses the copy: the step fails after its first statements ran.
			sql.exec(LAYOUT_2);
			sql.exec("CREATE TRIGGER log_refuses BEFORE INSERT ON log BEGIN SELECT RAISE(ABORT, 'log refuses rows'); END");
			expect(() => upgradeHubLayout(state.storage)).toThrow(/log refuses rows/);
			expect(layoutOf(sql)).toBe(1);
			expect(sql.exec("SELECT count(*) AS n FROM events").one().n).toBe(EVENTS.length);
			expect(sql.exec("SELECT count(*) AS n FROM log").one().n).toBe(0);
			// Put it back as a new hub's, so the shared worker's later wakes of this hub work.
			for (const table of ["events", "log", "meta", "sessions"]) sql.exec(`DROP TABLE IF EXISTS ${table}`);
			expect(upgradeHubLayout(state.storage)).toBe(0);
		});
	});
});
