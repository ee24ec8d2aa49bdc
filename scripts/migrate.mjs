#!/usr/bin/env node
// `npm run migrate`: brings the D1 database up to the migrations in migrations/.
//   npm run migrate                      the local database (wrangler dev's, under .wrangler/state)
//   npm run migrate -- --remote          the deployed one (wrangler.toml's database_id)
//   npm run migrate -- --persist-to DIR  a local database kept elsewhere (wrangler's flag)
//   npm run migrate -- --config FILE     another wrangler config (migrations/ beside it)
// 1. A database made before migrations (by an earlier schema.sql, or several applied on top of
//    each other: no d1_migrations rows, Sparky's tables present) is recognised and brought to
//    migration 0009, which is recorded as applied, in one batch: one transaction (scripts/lib/d1-legacy.mjs).
// 2. `wrangler d1 migrations apply DB` applies the rest, each migration in its own transaction,
//    recorded in d1_migrations.
// A step that fails leaves the database as it was before that step (earlier migrations stay
// applied) and says which step and why; the command exits non-zero.
import "./lib/node-check.mjs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MASTER_QUERY, MIGRATIONS_TABLE, planLegacyUpgrade, readMigrations } from "./lib/d1-legacy.mjs";
import { captureWrangler } from "./lib/wrangler.mjs";

const root = resolve(import.meta.dirname, "..");

/** Runs `npm run migrate`'s steps; resolves when the database is current, rejects with what failed. */
export async function migrate(argv = [], { cwd = root, log = console.log } = {}) {
	const remote = argv.includes("--remote");
	const config = flagValue(argv, "--config");
	const persistTo = flagValue(argv, "--persist-to");
	const target = [
		remote ? "--remote" : "--local",
		...(persistTo ? ["--persist-to", persistTo] : []),
		...(config ? ["--config", config] : []),
	];
	const where = remote ? "the remote D1 database" : "the local D1 database";
	const migrations = readMigrations(resolve(cwd, config ? dirname(config) : ".", "migrations"));

	const rows = await query(cwd, target, MASTER_QUERY);
	const hasTable = rows.some((row) => row.type === "table" && row.name === MIGRATIONS_TABLE);
	const migrationRows = hasTable
		? Number((await query(cwd, target, `SELECT count(*) AS n FROM ${MIGRATIONS_TABLE}`))[0]?.n ?? 0)
		: 0;
	let plan;
	try {
		plan = planLegacyUpgrade(rows, migrations, { migrationRows });
	} catch (error) {
		throw new Error(`Can't migrate ${where}: ${error.message}.`);
	}
	if (plan.kind === "legacy") {
		const which = plan.recognised ?? `several schema.sql versions applied on top of each other (${plan.fingerprint})`;
		log(`The ${where.slice(4)} was made before migrations: ${which}.`);
		log(
			`Bringing it to ${plan.recorded.at(-1)} (${plan.statements.length} statements, one transaction) and recording ${plan.recorded.length} migrations as applied…`,
		);
		const result = await wrangler(cwd, ["d1", "execute", "DB", ...target, "--command", plan.sql], { CI: "1" });
		if (result.code !== 0) {
			throw new Error(
				`Upgrading ${where} from before migrations failed; it is as it was (the upgrade is one transaction):\n${why(result)}`,
			);
		}
	}
	log(`Applying migrations to ${where}…`);
	const result = await wrangler(cwd, ["d1", "migrations", "apply", "DB", ...target], { CI: "1" });
	if (result.code !== 0) {
		// wrangler stops at the first migration that fails; those before it are recorded.
		const recorded = await query(cwd, target, `SELECT name FROM ${MIGRATIONS_TABLE}`).catch(() => undefined);
		const done = new Set(recorded?.map((row) => row.name));
		const failed = recorded && migrations.find((migration) => !done.has(migration.name))?.name;
		throw new Error(
			failed
				? `Migration ${failed} failed; ${where} is as it was before it (each migration is one transaction; those before it stay applied):\n${why(result)}`
				: `wrangler d1 migrations apply failed:\n${why(result)}`,
		);
	}
	const applied = [...result.output.matchAll(/│\s*(\d{4}_\S+\.sql)\s*│\s*✅/g)].map((m) => m[1]);
	log(
		applied.length
			? `Applied ${[...new Set(applied)].join(", ")}.`
			: "No migrations to apply: the database is current.",
	);
}

function flagValue(argv, flag) {
	const at = argv.indexOf(flag);
	return at >= 0 ? argv[at + 1] : undefined;
}

/** wrangler's reason, without its banner and tables. */
function why(result) {
	const lines = result.output.split("\n").filter((line) => /error|fail|✘|SQLITE|no such|constraint/i.test(line));
	return (lines.length ? lines : result.output.split("\n").slice(-15)).join("\n").trim();
}

async function query(cwd, target, sql) {
	const result = await wrangler(cwd, ["d1", "execute", "DB", ...target, "--json", "--command", sql]);
	if (result.code !== 0) throw new Error(`Can't read the database's schema:\n${why(result)}`);
	const json = JSON.parse(result.stdout.slice(result.stdout.indexOf("[")));
	return json[0]?.results ?? [];
}

function wrangler(cwd, args, env = {}) {
	return captureWrangler(args, { cwd, env });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	try {
		await migrate(process.argv.slice(2));
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
