#!/usr/bin/env node
// Migration times (issue #32): `node bench/migrations.mjs` (Node 24: `npx node bench/migrations.mjs`).
//   1. a hub holding 10,000 events on layout 1 (one row per event) brought to the current layout:
//      the SQL of src/hub/layout.ts's step, on SQLite (node:sqlite, a file);
//   2. a D1 made by schema.sql v04 (the oldest with every task column that needs the rebuild)
//      holding 100,000 tasks brought to the current schema: the legacy upgrade's SQL, node:sqlite;
//   3. the same through `npm run migrate`'s script against a local D1 (wrangler, miniflare).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MASTER_QUERY, planLegacyUpgrade, readMigrations } from "../scripts/lib/d1-legacy.mjs";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "sparky-bench-migrations-"));
const v04 = readFileSync(join(root, "test/migrations/fixtures/d1/v04-3129e53.sql"), "utf8");
const migrations = readMigrations(join(root, "migrations"));
const ms = (start) => `${(performance.now() - start).toFixed(0)} ms`;

// 1. Hub: 10,000 events, layout 1 → 2.
{
	const db = new DatabaseSync(join(dir, "hub.sqlite"));
	db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
		CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, task_id TEXT,
			chat_id TEXT, stored_at INTEGER NOT NULL, json TEXT NOT NULL);
		CREATE INDEX events_stored_at ON events(stored_at);
		CREATE INDEX events_task ON events(task_id, seq) WHERE task_id IS NOT NULL;
		CREATE INDEX events_chat ON events(chat_id, seq) WHERE chat_id IS NOT NULL;`);
	const insert = db.prepare("INSERT INTO events VALUES (?, ?, 'TEXT_MESSAGE_CONTENT', ?, NULL, ?, ?)");
	db.exec("BEGIN");
	for (let seq = 1; seq <= 10_000; seq++) {
		const event = { seq, id: `evt_${seq}`, ts: seq, type: "TEXT_MESSAGE_CONTENT", delta: "x".repeat(200) };
		insert.run(seq, event.id, `task_${seq % 50}`, seq, JSON.stringify(event));
	}
	db.exec("COMMIT");
	const start = performance.now();
	db.exec(`BEGIN;
		CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, task_id TEXT, chat_id TEXT,
			stored_at INTEGER NOT NULL, json TEXT NOT NULL);
		INSERT OR IGNORE INTO log (seq, n, task_id, chat_id, stored_at, json) SELECT seq, 1, task_id, chat_id, stored_at, json FROM events;
		DROP TABLE events;
		INSERT INTO meta (key, value) VALUES ('layout', 2);
		COMMIT;`);
	console.log(`hub, 10,000 events, layout 1 → 2 (node:sqlite): ${ms(start)}`);
	db.close();
}

// The 100,000 tasks (and a dependency each for 1,000 of them), as one statement.
const seedTasks = `
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO tasks (id, user_id, instruction, metadata, chat_id, chat_user_id, kind, status, attempts, max_attempts,
  fingerprint, model, result, input_tokens, output_tokens, created_at, updated_at, started_at, finished_at)
SELECT 'task_' || i, 'u1', 'Summarise the report number ' || i || ' and list what changed since the last one.', NULL,
  NULL, NULL, 'task', 'succeeded', 1, 3, hex(randomblob(16)), 'demo', 'Done: ' || hex(randomblob(60)), 900, 300,
  i, i, i, i FROM n;
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
INSERT INTO task_dependencies (task_id, depends_on_id) SELECT 'task_' || i, 'task_' || (i - 1) FROM n;`;

// 2. D1's SQL on node:sqlite: v04 with 100,000 tasks → current.
{
	const db = new DatabaseSync(join(dir, "d1.sqlite"));
	db.exec(v04);
	db.exec(`INSERT INTO users (id, role, created_at) VALUES ('u1', 'user', 1); BEGIN; ${seedTasks} COMMIT;`);
	const start = performance.now();
	const plan = planLegacyUpgrade(db.prepare(MASTER_QUERY).all(), migrations);
	db.exec(`BEGIN; ${plan.sql} COMMIT;`);
	console.log(`D1 SQL, 100,000 tasks, v04 → current (node:sqlite, ${plan.statements.length} statements): ${ms(start)}`);
	db.close();
}

// 3. `npm run migrate` against a local D1 (wrangler).
{
	const config = join(dir, "wrangler.toml");
	writeFileSync(
		config,
		'name = "bench"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "sparky"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n',
	);
	spawnSync("cp", ["-r", join(root, "migrations"), dir]);
	const local = ["--config", config, "--persist-to", join(dir, "state")];
	const seed = join(dir, "seed.sql");
	writeFileSync(seed, `${v04}\nINSERT INTO users (id, role, created_at) VALUES ('u1', 'user', 1);\n${seedTasks}`);
	const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js");
	const seeded = spawnSync(process.execPath, [wrangler, "d1", "execute", "DB", "--local", ...local, "--file", seed], {
		encoding: "utf8",
	});
	if (seeded.status !== 0) throw new Error(seeded.stderr);
	let start = performance.now();
	const run = spawnSync(process.execPath, [join(root, "scripts/migrate.mjs"), ...local], { encoding: "utf8" });
	if (run.status !== 0) throw new Error(run.stderr);
	console.log(`npm run migrate, local D1, 100,000 tasks, v04 → current (wrangler): ${ms(start)}`);
	start = performance.now();
	spawnSync(process.execPath, [join(root, "scripts/migrate.mjs"), ...local], { encoding: "utf8" });
	console.log(`npm run migrate, nothing to do (wrangler's fixed cost): ${ms(start)}`);
}
rmSync(dir, { recursive: true, force: true });
