#!/usr/bin/env node
// `npm run bench`: benchmarks against a real `wrangler dev` on 127.0.0.1, each beside a
// baseline measured in the same run. Prints ratios; asserts nothing (docs/benchmarks.md).
//   BENCH_ONLY=fanout|tasks|memory|context|files|attachments|usage|board  run one part;  BENCH_TASKS=N  size of the task burst (500);
//   BENCH_LEVELS=32,96  streaming tasks at once for the agent-view levels (empty: none);
//   BENCH_PROFILE=<file>  a CPU profile of workerd over the burst (.cpuprofile) and its top self times;
//   BENCH_BURST_ONLY=1  the tasks part without its streaming phases: dispatch, burst and cost (to repeat);
//   BENCH_DISPATCH_ONLY=1  the tasks part's interleaved dispatch samples only (Sparky and the floor).
import "../scripts/lib/node-check.mjs";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startDevServer } from "../scripts/lib/dev-server.mjs";
import { attachmentsReport, runAttachmentsBench } from "./attachments.mjs";
import { boardReport, runBoardBench } from "./board.mjs";
import { contextReport, runContextBench } from "./context.mjs";
import { runFanout } from "./fanout.mjs";
import { filesReport, runFilesBench } from "./files.mjs";
import { fmt, table } from "./lib/stats.mjs";
import { memoryReport, runMemoryBench } from "./memory.mjs";
import { runTaskBench } from "./tasks.mjs";
import { runUsageBench, usageReport } from "./usage.mjs";

const only = process.env.BENCH_ONLY;
const adminToken = `bench_${randomBytes(24).toString("base64url")}`;
const state = mkdtempSync(join(tmpdir(), "sparky-bench-"));
const profile = process.env.BENCH_PROFILE;
const inspectorPort = profile ? await freePort() : undefined;
const server = await startDevServer({
	config: "bench/wrangler.bench.toml",
	persistTo: state,
	adminToken,
	inspectorPort,
});
console.log(`wrangler dev on ${server.url} (state in ${state})`);

const summary = [];
const figures = {};
try {
	if (!only || only === "fanout") summary.push(await fanout());
	if (!only || only === "tasks") summary.push(await tasks());
	if (!only || only === "memory") summary.push(memoryReport(await runMemoryBench({ url: server.url, adminToken })));
	if (!only || only === "context")
		summary.push(contextReport(await runContextBench({ url: server.url, adminToken, log: console.log })));
	// Its own servers (wrangler.toml's FILES bucket, and a bare Worker as the floor).
	if (!only || only === "files") summary.push(filesReport(await runFilesBench({ log: console.log })));
	if (!only || only === "attachments")
		summary.push(attachmentsReport(await runAttachmentsBench({ url: server.url, adminToken, log: console.log })));
	// Its own local D1 (getPlatformProxy): the cost of counting a model call.
	if (!only || only === "usage") summary.push(usageReport(await runUsageBench({ log: console.log })));
	// Its own server (wrangler.toml: the page's assets) and Chromium.
	if (!only || only === "board") summary.push(boardReport(await runBoardBench({ log: console.log })));
	console.log(`\n${summary.join("\n")}`);
	if (!only || only === "tasks") {
		const line = Object.entries(figures)
			.map(([k, v]) => `${k}=${v}`)
			.join(" ");
		console.log(`summary ${line}`);
	}
} finally {
	await server.stop();
	rmSync(state, { recursive: true, force: true });
}

async function call(path, body) {
	const res = await fetch(`${server.url}${path}`, {
		method: "POST",
		headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return res.json();
}

async function fanout() {
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
		for (const [perCall, byKind] of [
			[10, batched],
			[1, single],
		]) {
			for (const [kind, r] of Object.entries(byKind)) {
				rows.push({
					sockets,
					kind,
					"events/call": perCall,
					"events/s": Math.round(r.eventsPerSec),
					"p50 ms": fmt(r.p50),
					"p99 ms": fmt(r.p99),
					delivered: `${r.delivered}/${r.expected}`,
				});
			}
		}
	}
	console.log(`\nFan-out: real hub vs raw Durable Object (raw sends one frame per event)\n${table(rows)}`);
	const at1000 = results[1000].batched;
	const at100 = results[100].single;
	console.log(
		`single-event p50 at 100 sockets: hub ${fmt(at100.hub.p50)} ms, raw ${fmt(at100.raw.p50)} ms (difference ${fmt(at100.hub.p50 - at100.raw.p50)} ms)`,
	);
	return `hub_vs_raw throughput=${fmt(at1000.hub.eventsPerSec / at1000.raw.eventsPerSec)} p99=${fmt(at1000.hub.p99 / at1000.raw.p99)}`;
}

async function tasks() {
	const r = await runTaskBench({
		url: server.url,
		adminToken,
		burst: Number(process.env.BENCH_TASKS ?? 500),
		loadLevels: (process.env.BENCH_LEVELS ?? "32,96").split(",").filter(Boolean).map(Number),
		profile: profile && { port: inspectorPort, file: profile },
		burstOnly: process.env.BENCH_BURST_ONLY === "1",
		dispatchOnly: process.env.BENCH_DISPATCH_ONLY === "1",
		streamOnly: process.env.BENCH_STREAM_ONLY === "1",
	});
	if (!r.dispatch) {
		// BENCH_STREAM_ONLY: the streaming levels and one user's hub (issue #33) alone.
		streamingReport(r);
		userHubReport(r);
		return `user_hub_calls_per_task_s=${figures.user_hub_calls_per_task_s} projected_tasks_per_user=${figures.projected_tasks_per_user}`;
	}
	dispatchReport(r);
	// The dispatch ratios go on the summary line in every mode (BENCH_DISPATCH_ONLY measures only them).
	figures.dispatch_vs_floor_p50 = fmt(r.dispatchVsFloor.p50);
	figures.dispatch_vs_floor_p90 = fmt(r.dispatchVsFloor.p90);
	figures.publish_vs_floor_p50 = fmt(r.publishVsFloor.p50);
	figures.publish_vs_floor_p90 = fmt(r.publishVsFloor.p90);
	figures.dispatch_vs_direct_p50 = fmt(r.dispatchVsDirect.p50);
	figures.hub_vs_floor_p50 = fmt(r.hubVsFloor.p50);
	const b = r.burst;
	if (!b) return `dispatch_vs_floor p50=${fmt(r.dispatchVsFloor.p50)}`;
	console.log(
		`burst: ${b.tasks} tasks submitted in ${fmt(b.submitSeconds, 1)} s; all terminal: ${b.drained} after ${fmt(b.drainSeconds, 1)} s (${fmt(b.tasksPerSecond, 1)} tasks/s)`,
	);
	console.log(
		`       ${JSON.stringify(b.statuses)}; agent socket: ${b.eventsDelivered} events, gaps ${b.gaps}, duplicates ${b.duplicates}`,
	);
	console.log(
		`       creator socket: ${b.creatorEvents} events, gaps ${b.creatorGaps}, duplicates ${b.creatorDuplicates}`,
	);
	console.log(
		`       behind the runs (event ts → socket): agent p50 ${fmt(b.agentLagP50)} ms, p99 ${fmt(b.agentLagP99)} ms; creator p50 ${fmt(b.creatorLagP50)} ms, p99 ${fmt(b.creatorLagP99)} ms`,
	);
	const f = r.floorBurst;
	console.log(
		`burst floor: ${f.tasks} floor tasks (per task ${JSON.stringify(f.plan)}) submitted in ${fmt(f.submitSeconds, 1)} s; all ended: ${f.drained} after ${fmt(f.drainSeconds, 1)} s; agent socket ${f.agentEvents} events, creator ${f.creatorEvents}`,
	);
	console.log(
		`burst_vs_floor: ${fmt(b.drainSeconds / f.drainSeconds)} (one burst each, Sparky's first, then the floor's)`,
	);
	const s = r.stream;
	const ceiling = s && streamingReport(r);
	if (s) userHubReport(r);
	costReport(r);
	figures.delta_to_socket_p99_ms = fmt(s?.deltaP99);
	figures.rows_per_event = fmt(Math.max(r.cost.hubs.agent.rowsPerEvent, r.cost.hubs.creator.rowsPerEvent));
	figures.agent_hub_calls_per_task_s = fmt((ceiling ?? s)?.agentCallsPerTaskSecond, 3);
	figures.burst500_s = fmt(b.drainSeconds, 1);
	figures.burst_vs_floor = fmt(b.drainSeconds / f.drainSeconds);
	return `task_dispatch_vs_direct p50=${fmt(r.dispatch.p50 / r.direct.p50)}`;
}

/** Sparky's dispatch and direct publish beside the floor's, sampled alike, and where the time goes. */
function dispatchReport(r) {
	const row = (path, p) => ({ path, n: p.n, "p50 ms": fmt(p.p50), "p90 ms": fmt(p.p90), "p99 ms": fmt(p.p99) });
	console.log("\nDispatch like for like: Sparky and the floor (bench/floor.ts), interleaved, 250 ms idle before each");
	console.log(
		table([
			row("Sparky: direct publish → socket", r.direct),
			row("Sparky's hub alone → socket", r.hubDirect),
			row("floor: direct publish → socket", r.floorDirect),
			row("Sparky: POST task → RUN_STARTED", r.dispatch),
			row("floor: POST task → socket", r.floorDispatch),
		]),
	);
	for (const [name, v] of [
		["dispatch_vs_floor", r.dispatchVsFloor],
		["publish_vs_floor", r.publishVsFloor],
		["dispatch_vs_direct", r.dispatchVsDirect],
		["hub_vs_floor (Sparky's hub alone)", r.hubVsFloor],
	]) {
		console.log(
			v.refused ? `${name}: refused (${v.refused})` : `${name}: p50 ${fmt(v.p50)}, p90 ${fmt(v.p90)} (n ${v.a.n})`,
		);
	}
	console.log("\nWhere the time goes, p50 per hop (ms; Sparky's: start after the POST, and duration)");
	console.log(table(r.hops.floor.map((h) => ({ "floor hop": h.hop, n: h.n, "p50 ms": fmt(h.ms) }))));
	console.log(
		table(
			r.hops.sparky
				.filter((h) => h.n >= r.dispatch.n / 2)
				.map((h) => ({ "Sparky call": h.hop, n: h.n, "at p50": fmt(h.at), "p50 ms": fmt(h.ms) })),
		),
	);
	console.log(
		table(
			r.hops.direct
				.filter((h) => h.n >= r.dispatch.n / 2)
				.map((h) => ({ "Sparky direct publish": h.hop, n: h.n, "at p50": fmt(h.at), "p50 ms": fmt(h.ms) })),
		),
	);
}

/** The streaming phases: text delta latency, the agent view under load, the projection. Returns the busiest level. */
function streamingReport(r) {
	const s = r.stream;
	console.log(
		`\nStreaming: ${s.tasks} tasks at once, demo chunk delay ${s.chunkDelayMs} ms, ${fmt(s.taskSeconds, 1)} task-seconds`,
	);
	console.log(
		`text delta → creator socket: p50 ${fmt(s.deltaP50)} ms, p99 ${fmt(s.deltaP99)} ms over ${s.deltas} deltas (target p99 ≤ ${s.chunkDelayMs + 15} ms)`,
	);
	console.log(
		`hub calls per task-second: agent ${fmt(s.agentCallsPerTaskSecond)} (${fmt(s.agentEventsPerTaskSecond)} events), creator ${fmt(s.creatorCallsPerTaskSecond)}`,
	);
	console.log("\nThe agent view under load: streaming tasks at once (25 ms chunks)");
	console.log(
		table(
			[s, ...r.levels].map((l) => ({
				tasks: l.tasks,
				"wall s": fmt(l.wallSeconds, 1),
				"task-s": fmt(l.taskSeconds, 1),
				"creator lag p99 ms": fmt(l.creatorLagP99),
				"agent lag p99 ms": fmt(l.agentLagP99),
				"agent calls/s": fmt(l.agentCalls / l.wallSeconds),
				"agent events/s": fmt(l.agentEvents / l.wallSeconds),
				"agent calls/task-s": fmt(l.agentCallsPerTaskSecond, 3),
			})),
		),
	);
	const cap = r.capacity;
	console.log(
		`one hub's intake (${cap.eventsPerCall}-event calls, one socket): ${fmt(cap.callsPerSecond, 0)} calls/s, ${fmt(cap.eventsPerSecond, 0)} events/s; delivered ${cap.delivered}/${cap.sent}`,
	);
	const p = projection([...r.levels, s], "agent", cap);
	if (p) {
		console.log(
			`projection from ${p.ceiling.tasks} tasks at once: ${fmt(p.eventsPerTaskSecond)} events and ${fmt(p.callsPerTaskSecond, 3)} calls per task-second → one agent hub carries ${fmt(p.byEvents, 0)} streaming tasks by measured intake, ${fmt(p.byCalls, 0)} by ~1,000 requests/s (projected: ${fmt(p.projected, 0)})`,
		);
	}
	return p?.ceiling;
}

/**
 * The projection, for one hub (`side`: "agent" or "creator"): the busiest level with whole
 * counters gives what one streaming task costs that hub (events and calls per task-second);
 * the hub's measured intake and Cloudflare's documented ~1,000 requests/s per object bound how
 * many such tasks it carries. Undefined when no level has whole counters.
 */
function projection(levels, side, capacity) {
	const ceiling = levels
		.filter((l) => Number.isFinite(l[`${side}CallsPerTaskSecond`]))
		.sort((a, b) => b.tasks - a.tasks)[0];
	if (!ceiling) return undefined;
	const eventsPerTaskSecond = ceiling[`${side}EventsPerTaskSecond`];
	const callsPerTaskSecond = ceiling[`${side}CallsPerTaskSecond`];
	const byEvents = capacity.eventsPerSecond / eventsPerTaskSecond;
	const byCalls = 1000 / callsPerTaskSecond;
	return {
		ceiling,
		eventsPerTaskSecond,
		callsPerTaskSecond,
		byEvents,
		byCalls,
		projected: Math.min(byEvents, byCalls),
	};
}

/**
 * One user's hub with many tasks at once (issue #33): the creator's calls and events per
 * streaming task-second at each level, the pace its hub asked for, its socket's lag beside a
 * second user's in the same run; projected tasks per user from the busiest level, as the agent
 * view's projection is made (the hub's measured intake, Cloudflare's ~1,000 requests/s per object).
 */
function userHubReport(r) {
	const rows = [r.stream, ...r.levels];
	console.log("\nOne user's hub: that user's streaming tasks at once, a second user streaming one task beside them");
	console.log(
		table(
			rows.map((l) => ({
				tasks: l.tasks,
				"calls/s": fmt(l.creatorCalls / l.wallSeconds),
				"events/s": fmt(l.creatorEvents / l.wallSeconds),
				"calls/task-s": fmt(l.creatorCallsPerTaskSecond, 3),
				"events/task-s": fmt(l.creatorEventsPerTaskSecond),
				"pace ms (max)": l.creatorPaceMs,
				"writers (max)": l.creatorWriters,
				"tasks seen/s (max)": l.creatorStreamingTasks,
				"user lag p99 ms": fmt(l.creatorLagP99),
				"second user lag p99 ms": fmt(l.bystanderLagP99),
			})),
		),
	);
	const p = projection(rows, "creator", r.capacity);
	if (!p) return;
	console.log(
		`projection from ${p.ceiling.tasks} tasks at once: ${fmt(p.eventsPerTaskSecond)} events and ${fmt(p.callsPerTaskSecond, 3)} calls per task-second → one user's hub carries ${fmt(p.byEvents, 0)} streaming tasks by measured intake (${fmt(r.capacity.eventsPerSecond, 0)} events/s), ${fmt(p.byCalls, 0)} by ~1,000 requests/s (projected: ${fmt(p.projected, 0)}); that user's socket lag p99 ${fmt(p.ceiling.creatorLagP99)} ms, the second user's ${fmt(p.ceiling.bystanderLagP99)} ms`,
	);
	figures.user_hub_calls_per_task_s = fmt(p.callsPerTaskSecond, 3);
	figures.projected_tasks_per_user = fmt(p.projected, 0);
}

/** What the burst cost: hub CPU (when profiled), rows, D1 queries, dollars. */
function costReport(r) {
	const c = r.cost;
	if (r.hubCpu) {
		// Sampled CPU inside the hubs' publish (validate, number, store, fan out), per call and per event.
		const calls = c.hubs.agent.publishes + c.hubs.creator.publishes;
		const events = c.hubs.agent.events + c.hubs.creator.events;
		console.log(
			`hub publish CPU over the burst: ${fmt(r.hubCpu.publishMs, 0)} ms for ${calls} calls and ${events} events (${fmt(r.hubCpu.publishMs / calls, 3)} ms/call, ${fmt((1000 * r.hubCpu.publishMs) / events, 1)} µs/event)`,
		);
	}
	console.log("\nStorage and cost over the burst (billed units counted in the hubs and the Worker)");
	console.log(
		table(
			["agent", "creator"].map((side) => ({
				hub: c.hubs[side].estimated ? `${side}*` : side,
				publishes: c.hubs[side].publishes,
				events: c.hubs[side].events,
				"rows written": c.hubs[side].rowsWritten,
				"rows read": c.hubs[side].rowsRead,
				"rows/event": fmt(c.hubs[side].rowsPerEvent),
			})),
		),
	);
	if (c.hubs.agent.estimated || c.hubs.creator.estimated) {
		console.log("* restarted during the burst: per event since its wake, times the events its socket got");
	}
	console.log(
		`per 1,000 tasks: ${JSON.stringify(Object.fromEntries(Object.entries(c.units).map(([k, v]) => [k, Math.round(v)])))}`,
	);
	const printByStatement = (title, rows, count) =>
		console.log(
			`${title}: ${rows
				.slice(0, count)
				.map(([sql, n]) => `\n  ${fmt(n)}  ${sql}`)
				.join("")}`,
		);
	printByStatement("D1 queries per task", c.byStatement, 12);
	printByStatement("D1 rows written per task", c.writesByStatement, 10);
	console.log(
		`$ per 1,000 tasks: ${Object.entries(c.dollars)
			.map(([k, v]) => `${k} ${v.toFixed(4)}`)
			.join(", ")}; total ${c.total.toFixed(4)} (target ≤ 0.15)`,
	);
}
