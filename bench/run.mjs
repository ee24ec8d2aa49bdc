#!/usr/bin/env node
// `npm run bench`: benchmarks against a real `wrangler dev` on 127.0.0.1, each beside a
// baseline measured in the same run. Prints ratios; asserts nothing (see docs/benchmarks.md).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../scripts/lib/dev-server.mjs";
import { runFanout } from "./fanout.mjs";
import { fmt, table } from "./lib/stats.mjs";

const adminToken = `bench_${randomBytes(24).toString("base64url")}`;
const state = mkdtempSync(join(tmpdir(), "sparky-bench-"));
const server = await startDevServer({ config: "bench/wrangler.bench.toml", persistTo: state, adminToken });
console.log(`wrangler dev on ${server.url} (state in ${state})`);

try {
	const call = async (path, body) => {
		const res = await fetch(`${server.url}${path}`, {
			method: "POST",
			headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
		return res.json();
	};
	const rows = [];
	const results = {};
	for (const sockets of [100, 1000]) {
		const userId = `bench-${sockets}`;
		await call("/api/users", { id: userId });
		const { token } = await call(`/api/users/${userId}/tokens`, { name: "bench" });
		const base = { url: server.url, adminToken, userToken: token, userId, sockets };
		const batched = await runFanout({ ...base, calls: sockets === 100 ? 200 : 40, batch: 10 });
		const single = await runFanout({ ...base, calls: 200, batch: 1 });
		results[sockets] = { batched, single };
		for (const [kind, r] of Object.entries(batched)) {
			rows.push({
				sockets,
				kind,
				"events/call": 10,
				"events/s": Math.round(r.eventsPerSec),
				"p50 ms": fmt(r.p50),
				"p99 ms": fmt(r.p99),
				delivered: `${r.delivered}/${r.expected}`,
			});
		}
		for (const [kind, r] of Object.entries(single)) {
			rows.push({
				sockets,
				kind,
				"events/call": 1,
				"events/s": Math.round(r.eventsPerSec),
				"p50 ms": fmt(r.p50),
				"p99 ms": fmt(r.p99),
				delivered: `${r.delivered}/${r.expected}`,
			});
		}
	}
	console.log(`\nFan-out: real hub vs raw Durable Object (raw sends one frame per event)\n${table(rows)}`);
	const at1000 = results[1000].batched;
	const at100 = results[100].single;
	console.log(
		`\nsingle-event p50 at 100 sockets: hub ${fmt(at100.hub.p50)} ms, raw ${fmt(at100.raw.p50)} ms (difference ${fmt(at100.hub.p50 - at100.raw.p50)} ms)`,
	);
	console.log(
		`hub_vs_raw throughput=${fmt(at1000.hub.eventsPerSec / at1000.raw.eventsPerSec)} p99=${fmt(at1000.hub.p99 / at1000.raw.p99)}`,
	);
} finally {
	await server.stop();
	rmSync(state, { recursive: true, force: true });
}
