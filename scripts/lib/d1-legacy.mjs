// A D1 database made before migrations existed: by any earlier schema.sql, or by several applied
// one on top of the other (README said to apply schema.sql again after every upgrade, which
// created the missing tables but never changed an existing one). `npm run migrate` recognises
// one (no d1_migrations rows, Sparky's tables present), brings it to what migrations
// 0001…LEGACY_LAST make, and records those as applied, in one batch (one transaction): then
// `wrangler d1 migrations apply` goes on from there. Pure functions over sqlite_master rows and
// the migration files' text, so tests run them against any SQLite.
//
// How: the legacy migrations are replayed statement by statement against a model of the
// database (tables, their columns, indexes), and a statement whose effect is already there is
// left out: a table or an index that exists, a column a table has, a `@rebuild` block whose new
// table the database's already equals. The result must equal what the migrations make on an
// empty database; a database it can't get there (a table or column Sparky never had) is refused
// before anything runs.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The last migration a database made by schema.sql (before migrations) can be brought to. */
export const LEGACY_LAST = "0009_tasks_user_open.sql";
/** wrangler's default migrations table (wrangler.toml sets no `migrations_table`). */
export const MIGRATIONS_TABLE = "d1_migrations";
/** wrangler's own statement (getCreateMigrationsTableQuery), so `migrations apply` finds it as it makes it. */
export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`;

/**
 * Every schema.sql the repository ever had (test/migrations/fixtures/d1/, one per distinct
 * version in `git log -- schema.sql`, side branches included), by fingerprint. The test proves
 * each fixture has the fingerprint listed here.
 */
export const EARLIER_SCHEMAS = {
	"538db61641418493": "v01: schema.sql of 137a278 (users, tokens, tickets)",
	a35dc5c5e8901b24: "v02: schema.sql of c63d420 (tasks, workspaces)",
	"11d8f15ab5b20dc5": "v03: schema.sql of 4afc714 (chats)",
	"9c1c35bd31e6cc99": "v04: schema.sql of 3129e53 (schedules, dependencies)",
	"17f9efe616ddf31d": "v05: schema.sql of 71ec67c (MCP servers, before durable runs)",
	"6a6d87d877bb5e39": "v06: schema.sql of 21c5749 (durable runs, approvals)",
	ee827f18d35f73d8: "v07: schema.sql of 38c22b7 (durable runs and MCP servers)",
	"787abbf579049cce": "v08: schema.sql of 6c26ec8 (AG-UI, before MCP servers)",
	f4d0fc6380ab3f2c: "v09: schema.sql of 598a3a2 (AG-UI and MCP servers)",
	df2dc177074d099a: "v10: schema.sql of 365d210 (MCP servers switched off)",
	ec2557ef097642fb: "v11: schema.sql of c9b670d (the open-task index; the last before migrations)",
};

/** The migration files of a folder, in order (what wrangler applies: `*.sql` only). */
export function readMigrations(dir) {
	return readdirSync(dir)
		.filter((name) => name.endsWith(".sql"))
		.sort()
		.map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

/** The query whose rows `planLegacyUpgrade` reads. */
export const MASTER_QUERY = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";

const internal = (name) => /^(sqlite_|_cf_)/i.test(name) || name === MIGRATIONS_TABLE;

/**
 * What `npm run migrate` does before wrangler's own apply, from the database's sqlite_master rows
 * (and the number of rows in d1_migrations, when that table exists):
 * - `{ kind: "migrated" }`: d1_migrations has rows: wrangler's apply takes it from here;
 * - `{ kind: "empty" }`: no table of Sparky's: wrangler applies every migration;
 * - `{ kind: "legacy", recognised, fingerprint, statements, sql, recorded }`: run `sql` (one
 *   batch) first; `recognised` names the earlier schema.sql it matches exactly, or is undefined
 *   for a mix of several.
 * Throws when the database holds something no schema.sql of Sparky made; nothing has run then.
 */
export function planLegacyUpgrade(rows, migrations, { migrationRows = 0 } = {}) {
	const hasMigrationsTable = rows.some((row) => row.type === "table" && row.name === MIGRATIONS_TABLE);
	if (hasMigrationsTable && migrationRows > 0) return { kind: "migrated" };
	const model = modelOfMaster(rows);
	if (model.tables.size === 0 && model.others.length === 0) return { kind: "empty" };
	const legacy = legacyMigrations(migrations);
	const print = fingerprint(model);
	const recognised = EARLIER_SCHEMAS[print];
	const others = model.others;
	if (others.length > 0) {
		throw new Error(`the database has ${others.join(", ")}, which no schema.sql of Sparky made; nothing was changed`);
	}
	const statements = [];
	for (const migration of legacy) {
		for (const segment of segmentsOf(migration)) {
			if (segment.rebuild) {
				const created = parseStatement(segment.statements[0]);
				const current = model.tables.get(segment.rebuild);
				if (created.kind !== "create-table" || created.table !== `${segment.rebuild}_new`) {
					throw new Error(
						`${migration.name}: a @rebuild ${segment.rebuild} block starts with CREATE TABLE ${segment.rebuild}_new`,
					);
				}
				if (current && sameTable(current, created.shape)) continue;
				statements.push(...rebuildWithChildren(segment, model));
				continue;
			}
			for (const statement of segment.statements) {
				const parsed = parseStatement(statement);
				if (parsed.kind === "create-table" && model.tables.has(parsed.table)) continue;
				if (parsed.kind === "create-index" && model.indexes.has(parsed.index)) continue;
				if (
					parsed.kind === "add-column" &&
					model.tables.get(parsed.table)?.columns.some(([c]) => c === parsed.column)
				) {
					continue;
				}
				apply(model, parsed);
				statements.push(statement);
			}
		}
	}
	const target = legacyTarget(legacy);
	const differences = compareModels(model, target);
	if (differences.length > 0) {
		throw new Error(
			`the database's schema is not one any schema.sql of Sparky made (${differences.join("; ")}); nothing was changed`,
		);
	}
	const recorded = legacy.map((migration) => migration.name);
	const sql = [
		...statements,
		CREATE_MIGRATIONS_TABLE.replace(/;$/, ""),
		...recorded.map((name) => `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ('${name}')`),
	]
		.map((statement) => `${statement};`)
		.join("\n");
	return { kind: "legacy", recognised, fingerprint: print, statements, sql, recorded };
}

/** What the legacy migrations make on an empty database. */
export function legacyTarget(migrations) {
	const model = emptyModel();
	for (const migration of legacyMigrations(migrations)) {
		for (const segment of segmentsOf(migration)) {
			for (const statement of segment.statements) apply(model, parseStatement(statement));
		}
	}
	return model;
}

function legacyMigrations(migrations) {
	const legacy = migrations.filter((migration) => migration.name <= LEGACY_LAST);
	if (legacy.at(-1)?.name !== LEGACY_LAST) throw new Error(`migrations/${LEGACY_LAST} is missing`);
	return legacy;
}

/**
 * A table's fingerprint-relevant shape: tables with their columns (name and definition, in any
 * order) and table constraints; indexes with their definitions.
 */
export function fingerprint(model) {
	const parts = [];
	for (const [name, table] of [...model.tables].sort(([a], [b]) => a.localeCompare(b))) {
		const columns = table.columns.map(([column, def]) => `${column} ${def}`).sort();
		parts.push(`table ${name}(${[...columns, ...[...table.constraints].sort()].join(", ")})`);
	}
	for (const [name, index] of [...model.indexes].sort(([a], [b]) => a.localeCompare(b))) {
		parts.push(`index ${name} ${index.def}`);
	}
	return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

/** The model of a database from its sqlite_master rows. */
export function modelOfMaster(rows) {
	const model = emptyModel();
	for (const row of rows) {
		if (internal(row.name) || internal(row.tbl_name ?? "")) continue;
		if (row.type === "table") apply(model, parseStatement(row.sql));
		else if (row.type === "index") {
			// UNIQUE and PRIMARY KEY constraints' own indexes (sqlite_autoindex_*) have no sql.
			if (row.sql) apply(model, parseStatement(row.sql));
		} else model.others.push(`${row.type} ${row.name}`);
	}
	return model;
}

function emptyModel() {
	return { tables: new Map(), indexes: new Map(), others: [] };
}

/** Differences between two models, in words (empty when equal). */
export function compareModels(actual, expected) {
	const out = [];
	for (const name of new Set([...actual.tables.keys(), ...expected.tables.keys()])) {
		const a = actual.tables.get(name);
		const e = expected.tables.get(name);
		if (!a) out.push(`table ${name} is missing`);
		else if (!e) out.push(`table ${name} is not Sparky's`);
		else {
			const aCols = new Map(a.columns);
			const eCols = new Map(e.columns);
			for (const [column, def] of eCols) {
				if (!aCols.has(column)) out.push(`${name}.${column} is missing`);
				else if (aCols.get(column) !== def) out.push(`${name}.${column} is "${aCols.get(column)}", not "${def}"`);
			}
			for (const column of aCols.keys()) if (!eCols.has(column)) out.push(`${name}.${column} is not Sparky's`);
			if ([...a.constraints].sort().join() !== [...e.constraints].sort().join()) {
				out.push(`${name}'s table constraints differ`);
			}
		}
	}
	for (const name of new Set([...actual.indexes.keys(), ...expected.indexes.keys()])) {
		const a = actual.indexes.get(name);
		const e = expected.indexes.get(name);
		if (!a) out.push(`index ${name} is missing`);
		else if (!e) out.push(`index ${name} is not Sparky's`);
		else if (a.def !== e.def) out.push(`index ${name} is "${a.def}", not "${e.def}"`);
	}
	return out;
}

/** A migration's text as segments: plain statements, or a `-- @rebuild <table>` … `-- @end` block. */
function segmentsOf(migration) {
	const segments = [];
	let current = { rebuild: undefined, lines: [] };
	for (const line of migration.sql.split("\n")) {
		const start = /^--\s*@rebuild\s+(\w+)\s*$/.exec(line.trim());
		if (start || /^--\s*@end\s*$/.test(line.trim())) {
			segments.push(current);
			current = { rebuild: start?.[1], lines: [] };
			continue;
		}
		current.lines.push(line);
	}
	segments.push(current);
	return segments
		.map((segment) => ({ rebuild: segment.rebuild, statements: splitStatements(segment.lines.join("\n")) }))
		.filter((segment) => segment.statements.length > 0);
}

/** Statements of a SQL text, comments removed (the migrations have no `;` or `--` in strings). */
export function splitStatements(sql) {
	return sql
		.split("\n")
		.map((line) => line.replace(/--.*$/, ""))
		.join("\n")
		.split(";")
		.map((statement) => statement.replace(/\s+/g, " ").trim())
		.filter(Boolean);
}

/**
 * A rebuild, with every table that references the rebuilt one (and would lose its rows to
 * ON DELETE CASCADE when the old table is dropped) kept aside and put back, beyond those the
 * block keeps itself.
 */
function rebuildWithChildren(segment, model) {
	const table = segment.rebuild;
	const kept = new Set(
		segment.statements
			.map((statement) => /^CREATE TABLE (\w+)_keep AS /i.exec(statement)?.[1])
			.filter((name) => name !== undefined),
	);
	const children = [...model.tables]
		.filter(([name, shape]) => name !== table && !kept.has(name) && shape.references.has(table))
		.map(([name]) => name);
	for (const statement of segment.statements) apply(model, parseStatement(statement));
	return [
		...children.map((child) => `CREATE TABLE ${child}_keep AS SELECT * FROM ${child}`),
		...segment.statements,
		...children.flatMap((child) => [`INSERT INTO ${child} SELECT * FROM ${child}_keep`, `DROP TABLE ${child}_keep`]),
	];
}

function sameTable(a, b) {
	return (
		JSON.stringify(a.columns) === JSON.stringify(b.columns) &&
		JSON.stringify([...a.constraints].sort()) === JSON.stringify([...b.constraints].sort())
	);
}

/** Lower case, single spaces, no spaces inside brackets or before commas, identifiers unquoted. */
function norm(text) {
	return text
		.replace(/--[^\n]*/g, "")
		.replace(/"(\w+)"/g, "$1")
		.replace(/\s+/g, " ")
		.replace(/\s*\(\s*/g, " (")
		.replace(/\s*\)/g, ")")
		.replace(/\s*,\s*/g, ", ")
		.trim()
		.toLowerCase();
}

/** One statement of the kinds the legacy migrations and schema.sql use. */
function parseStatement(statement) {
	const text = norm(statement);
	let m = /^create table (?:if not exists )?(\w+) as select /.exec(text);
	if (m) return { kind: "keep-table", table: m[1] };
	m = /^create table (?:if not exists )?(\w+) \((.*)\)$/.exec(text);
	if (m) return { kind: "create-table", table: m[1], shape: parseBody(m[2]) };
	m = /^create (unique )?index (?:if not exists )?(\w+) on (\w+) (.*)$/.exec(text);
	if (m) return { kind: "create-index", index: m[2], table: m[3], def: `${m[1] ?? ""}on ${m[3]} ${m[4]}` };
	m = /^alter table (\w+) add (?:column )?(\w+) ?(.*)$/.exec(text);
	if (m) return { kind: "add-column", table: m[1], column: m[2], def: m[3] };
	m = /^alter table (\w+) rename to (\w+)$/.exec(text);
	if (m) return { kind: "rename-table", table: m[1], to: m[2] };
	m = /^drop table (?:if exists )?(\w+)$/.exec(text);
	if (m) return { kind: "drop-table", table: m[1] };
	if (/^insert /.test(text)) return { kind: "insert" };
	throw new Error(`a statement the legacy upgrade doesn't know: ${statement.slice(0, 80)}`);
}

/** Columns (name, definition) in order and table constraints of a CREATE TABLE body. */
function parseBody(body) {
	const parts = [];
	let depth = 0;
	let start = 0;
	for (let i = 0; i < body.length; i++) {
		const c = body[i];
		if (c === "'") i = body.indexOf("'", i + 1);
		else if (c === "(") depth++;
		else if (c === ")") depth--;
		else if (c === "," && depth === 0) {
			parts.push(body.slice(start, i).trim());
			start = i + 1;
		}
	}
	parts.push(body.slice(start).trim());
	const shape = { columns: [], constraints: [], references: new Set() };
	for (const part of parts) {
		if (/^(constraint|primary key|unique|check|foreign key)\b/.test(part)) shape.constraints.push(part);
		else {
			const [, name, def] = /^(\w+) ?(.*)$/.exec(part) ?? [];
			shape.columns.push([name, def]);
		}
		for (const ref of part.matchAll(/references (\w+)/g)) shape.references.add(ref[1]);
	}
	return shape;
}

function apply(model, parsed) {
	switch (parsed.kind) {
		case "create-table":
			model.tables.set(parsed.table, { ...parsed.shape, columns: [...parsed.shape.columns] });
			return;
		case "keep-table":
			model.tables.set(parsed.table, { columns: [], constraints: [], references: new Set() });
			return;
		case "create-index":
			model.indexes.set(parsed.index, { table: parsed.table, def: parsed.def });
			return;
		case "add-column": {
			const table = model.tables.get(parsed.table);
			if (!table) throw new Error(`ALTER TABLE ${parsed.table}: no such table`);
			table.columns.push([parsed.column, parsed.def]);
			for (const ref of parsed.def.matchAll(/references (\w+)/g)) table.references.add(ref[1]);
			return;
		}
		case "rename-table": {
			const table = model.tables.get(parsed.table);
			model.tables.delete(parsed.table);
			model.tables.set(parsed.to, table);
			for (const index of model.indexes.values()) if (index.table === parsed.table) index.table = parsed.to;
			return;
		}
		case "drop-table":
			model.tables.delete(parsed.table);
			for (const [name, index] of model.indexes) if (index.table === parsed.table) model.indexes.delete(name);
			return;
		case "insert":
			return;
	}
}
