// D1 migrations (issue #32), in plain Node: `npm run test:migrations`.
// - schema.sql equals every migration applied to an empty database (so a change to schema.sql
//   without a migration, or a migration without the change in schema.sql, fails here);
// - a database made by each earlier schema.sql (test/migrations/fixtures/d1/, every distinct
//   version in git history), alone or with the last one applied on top (what README's old
//   upgrade step did), filled with rows, is recognised, upgraded and equals a fresh install,
//   every row kept;
// - wrangler's own path once: `npm run migrate`'s script against a local D1 made by an earlier
//   schema.sql, and a failing migration that leaves the database as it was.
// SQLite here is node:sqlite with foreign keys on (as D1 has them); each migration runs in one
// transaction, as wrangler applies it (one batch).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import {
	EARLIER_SCHEMAS,
	fingerprint,
	MASTER_QUERY,
	modelOfMaster,
	planLegacyUpgrade,
	readMigrations,
} from "../../../scripts/lib/d1-legacy.mjs";

const root = resolve(import.meta.dirname, "../../..");
const fixtures = resolve(import.meta.dirname, "../fixtures/d1");
const migrations = readMigrations(resolve(root, "migrations"));
const history = readdirSync(fixtures)
	.filter((name) => name.endsWith(".sql"))
	.sort()
	.map((name) => ({ name, sql: readFileSync(join(fixtures, name), "utf8") }));
const latestHistorical = history.at(-1);

const open = () => new DatabaseSync(":memory:", { enableForeignKeyConstraints: true });

/** One migration the way wrangler applies it: its statements and its d1_migrations row, one transaction. */
function applyMigration(db, migration) {
	db.exec("BEGIN");
	try {
		db.exec(migration.sql);
		db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").run(migration.name);
		db.exec("COMMIT");
	} catch (error) {
		db.exec("ROLLBACK");
		throw new Error(`${migration.name}: ${error.message}`);
	}
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`;

/** `npm run migrate` against node:sqlite: the legacy step (one transaction), then the pending migrations. */
function migrate(db) {
	const master = db.prepare(MASTER_QUERY).all();
	const hasTable = master.some((row) => row.name === "d1_migrations");
	const migrationRows = hasTable ? db.prepare("SELECT count(*) AS n FROM d1_migrations").get().n : 0;
	const plan = planLegacyUpgrade(master, migrations, { migrationRows });
	if (plan.kind === "legacy") {
		db.exec("BEGIN");
		try {
			db.exec(plan.sql);
			db.exec("COMMIT");
		} catch (error) {
			db.exec("ROLLBACK");
			throw error;
		}
	}
	db.exec(MIGRATIONS_TABLE);
	const done = new Set(
		db
			.prepare("SELECT name FROM d1_migrations")
			.all()
			.map((row) => row.name),
	);
	for (const migration of migrations) if (!done.has(migration.name)) applyMigration(db, migration);
	return plan;
}

/**
 * A database's schema, normalised: each table's columns (name, type, not null, default, primary
 * key position; in order, or sorted with `anyOrder`), foreign keys, CHECK constraints, unique
 * constraints; each index (table, unique, partial and its WHERE, columns with their order);
 * triggers and views by their SQL. Internal tables (sqlite_*, d1_migrations) left out.
 */
function schemaOf(db, { anyOrder = false } = {}) {
	const objects = db
		.prepare(
			"SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'd1_migrations' AND tbl_name <> 'd1_migrations' ORDER BY type, name",
		)
		.all();
	const out = { tables: {}, indexes: {}, other: {} };
	for (const object of objects) {
		if (object.type === "table") {
			const columns = db
				.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`)
				.all(object.name)
				.map(
					(c) =>
						`${c.name} ${c.type}${c.notnull ? " NOT NULL" : ""}${c.dflt_value !== null ? ` DEFAULT ${c.dflt_value}` : ""}${c.pk ? ` PK${c.pk}` : ""}`,
				);
			const foreignKeys = db
				.prepare(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY "from"`)
				.all(object.name)
				.map((f) => `${f.from} → ${f.table}(${f.to}) ON DELETE ${f.on_delete}`);
			const uniques = db
				.prepare(`SELECT name, origin FROM pragma_index_list(?) WHERE origin IN ('u', 'pk') ORDER BY name`)
				.all(object.name)
				.map(
					(i) =>
						`${i.origin} (${db
							.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
							.all(i.name)
							.map((c) => c.name)
							.join(", ")})`,
				)
				.sort();
			out.tables[object.name] = {
				columns: anyOrder ? columns.sort() : columns,
				foreignKeys,
				checks: checksOf(object.sql),
				uniques,
			};
		} else if (object.type === "index") {
			if (!object.sql) continue; // a UNIQUE / PRIMARY KEY constraint's own index: in `uniques`
			const info = db.prepare("SELECT * FROM pragma_index_list(?) WHERE name = ?").get(object.tbl_name, object.name);
			const keys = db
				.prepare("SELECT name, desc FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno")
				.all(object.name)
				.map((c) => `${c.name}${c.desc ? " DESC" : ""}`);
			const where = /\bWHERE\b([\s\S]*)$/i.exec(object.sql)?.[1];
			out.indexes[object.name] = {
				table: object.tbl_name,
				unique: info.unique === 1,
				partial: info.partial === 1,
				where: where ? squash(where) : null,
				keys,
			};
		} else out.other[`${object.type} ${object.name}`] = squash(object.sql);
	}
	return out;
}

const squash = (sql) =>
	sql
		.replace(/--[^\n]*/g, "")
		.replace(/\s+/g, " ")
		.replace(/\s*([(),])\s*/g, "$1")
		.trim()
		.toLowerCase();

/** Every CHECK (…) of a CREATE TABLE, normalised and sorted. */
function checksOf(sql) {
	const text = squash(sql);
	const checks = [];
	for (let at = text.indexOf("check("); at >= 0; at = text.indexOf("check(", at + 1)) {
		let depth = 0;
		let end = at + 5;
		for (; end < text.length; end++) {
			if (text[end] === "(") depth++;
			else if (text[end] === ")" && --depth === 0) break;
		}
		checks.push(text.slice(at, end + 1));
	}
	return checks.sort();
}

const fresh = () => {
	const db = open();
	migrate(db);
	return db;
};

/**
 * Rows for every table any schema.sql had, with a value for every column it ever had: a table
 * gets the columns it has. In an order foreign keys accept.
 */
const ROWS = {
	users: [
		{ id: "u1", role: "user", created_at: 1 },
		{ id: "u2", role: "admin", created_at: 2 },
	],
	api_tokens: [
		{
			id: "t1",
			user_id: "u1",
			name: "laptop",
			role: "user",
			token_hash: "h1",
			created_at: 3,
			expires_at: 9,
			revoked_at: null,
			last_used_at: 4,
		},
	],
	ws_tickets: [
		{
			ticket_hash: "k1",
			user_id: "u1",
			token_id: "t1",
			role: "user",
			token_expires_at: 9,
			expires_at: 5,
			used_at: null,
		},
	],
	tasks: ["t-a", "t-b", "t-c"].map((id, i) => ({
		id,
		user_id: "u1",
		instruction: `do ${id}`,
		metadata: i === 0 ? '{"k":1}' : null,
		chat_id: i === 2 ? "c1" : null,
		chat_user_id: i === 2 ? "u1" : null,
		kind: i === 2 ? "chat" : "task",
		status: ["queued", "succeeded", "running"][i],
		attempts: i,
		max_attempts: 3,
		fingerprint: `fp-${id}`,
		active_fingerprint: i === 0 ? `fp-${id}` : null,
		idempotency_key: i === 1 ? "idem" : null,
		parent_task_id: i === 1 ? "t-a" : null,
		depth: i === 1 ? 1 : 0,
		schedule_name: null,
		model: "demo",
		result: i === 1 ? "done" : null,
		error: null,
		input_tokens: 10 * i,
		output_tokens: 5 * i,
		lease_owner: i === 2 ? "run" : null,
		lease_expires_at: i === 2 ? 99 : null,
		cancel_requested_at: null,
		enqueued_at: 7,
		created_at: 10 + i,
		updated_at: 20 + i,
		started_at: i > 0 ? 15 : null,
		finished_at: i === 1 ? 16 : null,
	})),
	workspace_files: [{ user_id: "u1", path: "README.md", content: "hi", size: 2, updated_at: 5 }],
	workspaces: [{ user_id: "u1", created_at: 5 }],
	chats: [{ id: "c1", user_id: "u1", title: "Hello", created_at: 6, updated_at: 7 }],
	chat_messages: [
		{
			id: "m1",
			chat_id: "c1",
			turn_id: "t-c",
			role: "user",
			content: "hi",
			tool_name: null,
			tool_args: null,
			created_at: 6,
			ordinal: 0,
		},
	],
	schedules: [
		{
			id: "s1",
			user_id: "u1",
			name: "daily",
			instruction: "report",
			metadata: null,
			every: "1d",
			cron: null,
			timezone: "UTC",
			enabled: 1,
			next_run_at: 100,
			last_run_at: null,
			last_task_id: null,
			created_at: 8,
			updated_at: 8,
		},
	],
	task_dependencies: [{ task_id: "t-a", depends_on_id: "t-b" }],
	mcp_servers: [
		{
			id: "mcp1",
			user_id: "u1",
			name: "docs",
			url: "https://example.com/mcp",
			header_names: '["Authorization"]',
			headers: "sealed",
			approval: "auto",
			created_at: 9,
			updated_at: 9,
		},
	],
	mcp_servers_off: [{ server_id: "mcp1", since: 10 }],
	task_checkpoints: [
		{
			task_id: "t-c",
			steps: 2,
			input_tokens: 3,
			output_tokens: 4,
			run_ms: 500,
			pauses: 1,
			in_flight: null,
			approve: '["delete_file"]',
			client_tools: null,
			updated_at: 11,
		},
	],
	task_messages: [{ task_id: "t-c", idx: 0, run_id: "t-c:1", json: '{"role":"assistant"}' }],
	approvals: [
		{
			id: "a1",
			kind: "approval",
			task_id: "t-c",
			user_id: "u1",
			chat_id: "c1",
			tool_call_id: "call1",
			tool: "delete_file",
			input: "{}",
			status: "pending",
			requested_at: 12,
			expires_at: 99,
			decided_at: null,
			decided_by: null,
			reason: null,
		},
	],
	ag_ui_runs: [
		{ user_id: "u1", run_id: "r1", thread_id: "c1", task_id: "t-c", since_seq: 4, min_attempt: 1, created_at: 13 },
	],
};

const columnsOf = (db, table) =>
	db
		.prepare("SELECT name FROM pragma_table_info(?)")
		.all(table)
		.map((c) => c.name);
const tablesOf = (db) =>
	db
		.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
		.all()
		.map((row) => row.name);

/** Fills every table the database has; returns what went in (table → rows, only its columns). */
function fill(db) {
	const put = {};
	const present = new Set(tablesOf(db));
	for (const [table, rows] of Object.entries(ROWS)) {
		if (!present.has(table)) continue;
		const columns = columnsOf(db, table);
		put[table] = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
		for (const row of put[table]) {
			const names = Object.keys(row).filter((c) => c in ROWS[table][0]);
			db.prepare(`INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).run(
				...names.map((c) => row[c]),
			);
		}
		put[table] = db
			.prepare(`SELECT * FROM ${table} ORDER BY rowid`)
			.all()
			.map((r) => ({ ...r }));
	}
	return put;
}

describe("D1 migrations", () => {
	it("schema.sql is every migration applied to an empty database (a schema change without a migration fails here)", () => {
		const fromSchema = open();
		fromSchema.exec(readFileSync(resolve(root, "schema.sql"), "utf8"));
		const migrated = fresh();
		const expected = schemaOf(fromSchema);
		const actual = schemaOf(migrated);
		expect(
			actual,
			"schema.sql and migrations/ differ: change the schema with a new migration and the same change in schema.sql (docs/architecture.md, Changing a schema)",
		).toEqual(expected);
		// The same seed rows (the built-in users).
		expect(migrated.prepare("SELECT * FROM users ORDER BY id").all()).toEqual(
			fromSchema.prepare("SELECT * FROM users ORDER BY id").all(),
		);
		// And the applied list is every file, in order.
		expect(
			migrated
				.prepare("SELECT name FROM d1_migrations ORDER BY id")
				.all()
				.map((r) => r.name),
		).toEqual(migrations.map((m) => m.name));
	});

	it("knows every earlier schema.sql: one fingerprint each, all different", () => {
		const prints = history.map(({ sql }) => {
			const db = open();
			db.exec(sql);
			return fingerprint(modelOfMaster(db.prepare(MASTER_QUERY).all()));
		});
		expect(new Set(prints).size).toBe(history.length);
		expect(prints).toEqual(Object.keys(EARLIER_SCHEMAS));
		expect(history.map((h) => h.name.slice(0, 3))).toEqual(Object.values(EARLIER_SCHEMAS).map((d) => d.slice(0, 3)));
	});

	const cases = history.flatMap((version) => [
		{ label: `${version.name}`, layers: [version], recognised: true },
		// README used to say: apply today's schema.sql again after an upgrade. That added the
		// missing tables and indexes and changed no existing table.
		...(version === latestHistorical
			? []
			: [{ label: `${version.name} + ${latestHistorical.name} on top`, layers: [version, latestHistorical] }]),
	]);

	it.each(cases)("upgrades a database made by $label, keeping every row", ({ layers, recognised }) => {
		const expected = schemaOf(fresh(), { anyOrder: true });
		const db = open();
		db.exec(layers[0].sql);
		const put = fill(db);
		for (const layer of layers.slice(1)) db.exec(layer.sql);
		const plan = migrate(db);
		expect(plan.kind).toBe("legacy");
		// Exactly an earlier schema.sql (a layer on top may leave it the same as the last one), or a mix.
		expect(plan.recognised).toBe(EARLIER_SCHEMAS[plan.fingerprint]);
		if (recognised) expect(plan.recognised).toMatch(layers[0].name.slice(0, 3));
		// The schema of a fresh install (a column added by ALTER TABLE may stand elsewhere in a
		// table made by a later schema.sql: columns are compared by name).
		expect(schemaOf(db, { anyOrder: true })).toEqual(expected);
		// Every row as it was put in; a column the upgrade added has its default.
		for (const [table, rows] of Object.entries(put)) {
			const after = db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all();
			expect(
				after.map((row) => pick(row, Object.keys(rows[0] ?? {}))),
				table,
			).toEqual(rows);
		}
		if (put.tasks && !("kind" in put.tasks[0])) {
			expect(
				db
					.prepare("SELECT kind, chat_user_id FROM tasks")
					.all()
					.map((r) => ({ ...r })),
			).toEqual(put.tasks.map(() => ({ kind: "task", chat_user_id: null })));
		}
		if (put.approvals && !("kind" in put.approvals[0])) {
			expect(db.prepare("SELECT kind FROM approvals").get().kind).toBe("approval");
		}
		// What the code writes now is accepted (the CHECKs widened by the tasks rebuild).
		db.exec(
			"INSERT INTO tasks (id, user_id, instruction, kind, status, max_attempts, fingerprint, created_at, updated_at) VALUES ('t-new', 'admin', 'x', 'chat', 'awaiting_approval', 3, 'f', 1, 1)",
		);
		// Recorded: every migration, and a second run does nothing.
		expect(
			db
				.prepare("SELECT name FROM d1_migrations ORDER BY id")
				.all()
				.map((r) => r.name),
		).toEqual(migrations.map((m) => m.name));
		expect(migrate(db).kind).toBe("migrated");
	});

	it("an empty database gets every migration; a migrated one nothing", () => {
		const db = open();
		expect(migrate(db).kind).toBe("empty");
		expect(migrate(db).kind).toBe("migrated");
	});

	it("refuses a database no schema.sql made, changing nothing", () => {
		const db = open();
		db.exec(history[3].sql);
		db.exec("ALTER TABLE tasks ADD COLUMN mine TEXT; CREATE TABLE other (x)");
		const before = schemaOf(db);
		expect(() => migrate(db)).toThrow(/tasks\.mine is not Sparky's.*table other is not Sparky's|nothing was changed/);
		expect(schemaOf(db)).toEqual(before);
	});

	it("an upgrade from before migrations that fails midway leaves the database as it was", () => {
		// A dependency row the tasks rebuild can't put back (written with foreign keys off, which D1
		// never allows: here only to make a statement in the middle fail). The one transaction rolls back.
		const db = open();
		db.exec(history[3].sql);
		fill(db);
		db.exec(
			"PRAGMA foreign_keys = OFF; INSERT INTO task_dependencies VALUES ('ghost', 't-a'); PRAGMA foreign_keys = ON",
		);
		const before = { schema: schemaOf(db), deps: db.prepare("SELECT * FROM task_dependencies").all() };
		expect(() => migrate(db)).toThrow(/constraint failed/);
		expect(schemaOf(db)).toEqual(before.schema);
		expect(db.prepare("SELECT * FROM task_dependencies").all()).toEqual(before.deps);
		expect(tablesOf(db)).not.toContain("d1_migrations");
	});
});

const pick = (row, keys) => Object.fromEntries(keys.map((k) => [k, row[k]]));

describe("npm run migrate (wrangler, a local D1)", () => {
	const dir = mkdtempSync(join(tmpdir(), "sparky-migrate-"));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));
	const project = join(dir, "project");
	cpSync(resolve(root, "migrations"), join(project, "migrations"), { recursive: true });
	writeFileSync(
		join(project, "wrangler.toml"),
		'name = "migrate-test"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "sparky"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n',
	);
	const local = ["--config", join(project, "wrangler.toml"), "--persist-to", join(dir, "state")];
	const node = (args) =>
		spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, CI: "1" } });
	const wrangler = (args) => node([resolve(root, "node_modules/wrangler/bin/wrangler.js"), ...args]);
	// What the local D1 holds, read from its SQLite file (the one wrangler wrote) with node:sqlite,
	// read-only: a wrangler start less per look (each costs seconds of CPU), the same rows.
	const sql = (...queries) => {
		const folder = join(dir, "state", "v3", "d1", "miniflare-D1DatabaseObject");
		const files = readdirSync(folder).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
		expect(files, "the local D1's one database file").toHaveLength(1);
		const db = new DatabaseSync(join(folder, files[0]), { readOnly: true });
		try {
			const results = queries.map((query) =>
				db
					.prepare(query)
					.all()
					.map((row) => ({ ...row })),
			);
			return results.length === 1 ? results[0] : results;
		} finally {
			db.close();
		}
	};

	it("upgrades a local D1 made by an earlier schema.sql; a failing migration changes nothing and says which and why", () => {
		// v05: MCP servers before durable runs (a side branch: the upgrade fills in 0005 and 0006).
		const seed = join(dir, "seed.sql");
		writeFileSync(
			seed,
			`${history[4].sql}
INSERT INTO users (id, role, created_at) VALUES ('u1', 'user', 1);
INSERT INTO tasks (id, user_id, instruction, status, max_attempts, fingerprint, created_at, updated_at, chat_id, kind)
  VALUES ('t-a', 'u1', 'do a', 'queued', 3, 'f', 1, 1, NULL, 'task'), ('t-b', 'u1', 'do b', 'succeeded', 3, 'g', 2, 2, NULL, 'task');
INSERT INTO task_dependencies (task_id, depends_on_id) VALUES ('t-a', 't-b');
INSERT INTO mcp_servers (id, user_id, name, url, created_at, updated_at) VALUES ('m1', 'u1', 'docs', 'https://x', 1, 1);`,
		);
		const seeded = wrangler(["d1", "execute", "DB", "--local", ...local, "--file", seed]);
		expect(seeded.status, seeded.stderr).toBe(0);

		const run = node(["scripts/migrate.mjs", ...local]);
		expect(run.status, run.stdout + run.stderr).toBe(0);
		expect(run.stdout).toMatch(/made before migrations: v05/);
		const [applied, tasks, dependencies, servers, added] = sql(
			"SELECT name FROM d1_migrations ORDER BY id",
			"SELECT id, status, kind FROM tasks ORDER BY id",
			"SELECT * FROM task_dependencies",
			"SELECT id FROM mcp_servers",
			"SELECT count(*) AS n FROM sqlite_master WHERE name IN ('tasks_user_open', 'ag_ui_runs')",
		);
		expect(applied.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
		expect(tasks).toEqual([
			{ id: "t-a", status: "queued", kind: "task" },
			{ id: "t-b", status: "succeeded", kind: "task" },
		]);
		expect(dependencies).toEqual([{ task_id: "t-a", depends_on_id: "t-b" }]);
		expect(servers).toEqual([{ id: "m1" }]);
		expect(added).toEqual([{ n: 2 }]);

		// A new migration (the next number) that fails halfway: nothing of it stays, and the message names it.
		const next = String(migrations.length + 1).padStart(4, "0");
		writeFileSync(
			join(project, "migrations", `${next}_broken.sql`),
			"CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
		);
		const broken = node(["scripts/migrate.mjs", ...local]);
		expect(broken.status).toBe(1);
		expect(broken.stderr).toMatch(new RegExp(`Migration ${next}_broken\\.sql failed`));
		expect(broken.stderr).toMatch(/no such table: no_such_table/);
		expect(
			sql(
				"SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'",
				`SELECT count(*) AS n FROM d1_migrations WHERE name LIKE '${next}%'`,
			),
		).toEqual([[{ n: 0 }], [{ n: 0 }]]);
		// Eight wrangler starts, one after another (the seed and the two migrate runs'; the checks read
		// the file): 15-30 s alone, more beside npm test's other lanes.
	}, 180_000);
});
