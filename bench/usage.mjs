// The cost of counting (issue #26): what recording one model call adds, on a real local D1
// (wrangler's getPlatformProxy: miniflare's D1, migrated by `npm run migrate`'s script).
// Interleaved, the same gap before each sample: the ledger write (`recordModelCall`: ledger
// row, day rollup, task totals in one batch) against the checkpoint write every model call
// already makes (`appendMessages`, one message), and a bare round trip (`SELECT 1`).
// Measured here: ms per call (p50, p95) and rows written per call (D1's own meta).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getPlatformProxy } from "wrangler";
import { migrate } from "../scripts/migrate.mjs";
import { appendMessages } from "../src/storage/checkpoints.ts";
import { recordModelCall } from "../src/storage/usage.ts";
import { fmt, percentile, table } from "./lib/stats.mjs";

const root = resolve(import.meta.dirname, "..");

export async function runUsageBench({ samples = 300, log = console.log } = {}) {
	const dir = mkdtempSync(join(tmpdir(), "sparky-bench-usage-"));
	const state = join(dir, "state");
	try {
		await migrate(["--persist-to", state], { cwd: root, log: () => {} });
		const proxy = await getPlatformProxy({
			configPath: join(root, "wrangler.toml"),
			persist: { path: join(state, "v3") },
		});
		try {
			return await measure(proxy.env.DB, samples, log);
		} finally {
			await proxy.dispose();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

async function measure(db, samples, log) {
	const user = `bench_${Date.now()}`;
	const task = `task_bench_${Date.now()}`;
	const now = Date.now();
	await db.batch([
		db.prepare("INSERT INTO users (id, role, created_at) VALUES (?, 'user', ?)").bind(user, now),
		db
			.prepare(
				`INSERT INTO tasks (id, kind, user_id, instruction, status, max_attempts, fingerprint, created_at, updated_at)
				 VALUES (?, 'task', ?, 'bench', 'running', 3, ?, ?, ?)`,
			)
			.bind(task, user, task, now, now),
		db.prepare("INSERT INTO task_checkpoints (task_id, updated_at) VALUES (?, ?)").bind(task, now),
	]);
	const times = { ledger: [], checkpoint: [], roundTrip: [] };
	let rows = 0;
	const counting = {
		...db,
		prepare: (sql) => db.prepare(sql),
		batch: async (statements) => {
			const results = await db.batch(statements);
			rows += results.reduce((sum, r) => sum + (r.meta?.rows_written ?? 0), 0);
			return results;
		},
	};
	log(`usage: ${samples} samples of each, interleaved`);
	for (let i = 0; i < samples; i++) {
		const gap = () => new Promise((r) => setTimeout(r, 2));
		await gap();
		let t = performance.now();
		await recordModelCall(counting, {
			user_id: user,
			task_id: task,
			attempt: 1,
			step: i + 1,
			chat_id: null,
			model: "openai:gpt-5-mini",
			input_tokens: 1200,
			output_tokens: 80,
			cached_input_tokens: 1024,
			reasoning_tokens: 16,
			cost_usd: 0.0002,
			ms: 900,
			day: new Date().toISOString().slice(0, 10),
			created_at: Date.now(),
			first_of_run: i === 0,
		});
		times.ledger.push(performance.now() - t);
		await gap();
		t = performance.now();
		const message = { role: "assistant", content: [{ type: "text", text: `step ${i}` }] };
		await appendMessages(
			db,
			task,
			i,
			[{ runId: `${task}:1`, message }],
			{ steps: i + 1, inputTokens: 1, outputTokens: 1, runMs: 1 },
			Date.now(),
		);
		times.checkpoint.push(performance.now() - t);
		await gap();
		t = performance.now();
		await db.prepare("SELECT 1").first();
		times.roundTrip.push(performance.now() - t);
	}
	const p = (k, q) => percentile(times[k], q);
	return {
		samples,
		rowsPerCall: rows / samples,
		ledgerP50: p("ledger", 50),
		ledgerP95: p("ledger", 95),
		checkpointP50: p("checkpoint", 50),
		checkpointP95: p("checkpoint", 95),
		roundTripP50: p("roundTrip", 50),
	};
}

export function usageReport(r) {
	const row = (write, p50, p95) => ({
		write,
		"p50 ms": fmt(p50),
		"p95 ms": p95 === undefined ? "" : fmt(p95),
		"vs checkpoint p50": fmt(p50 / r.checkpointP50),
	});
	return [
		`Usage accounting per model call (measured: local D1, miniflare; ${r.samples} samples each, interleaved)`,
		table([
			row("ledger (recordModelCall)", r.ledgerP50, r.ledgerP95),
			row("checkpoint (appendMessages)", r.checkpointP50, r.checkpointP95),
			row("round trip (SELECT 1)", r.roundTripP50),
		]),
		`rows written per model call: ${fmt(r.rowsPerCall, 1)} as D1 counts them (indexes included): ledger row, day rollup, task totals`,
	].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
	console.log(usageReport(await runUsageBench()));
}
