// Dispatch like for like: Sparky's paths and the floor's (bench/floor.ts), interleaved, every
// kind sampled the same way (the same idle gap before each sample, rounds in rotating order).
//   direct:          POST /api/users/agent/events → the agent's socket (Sparky's direct hub publish)
//   hub_direct:      POST /bench/publish/agent → UserHub.publish RPC → socket (Sparky's hub alone)
//   dispatch:        POST /api/tasks → RUN_STARTED on the agent's socket
//   floor_direct:    POST /floor/publish → FloorHub RPC → socket
//   floor_dispatch:  POST /floor/tasks → D1 insert → queue → consumer → D1 claim → FloorHub RPC → socket
// Each sample keeps its hop timestamps: the floor's ride in its event, Sparky's come from the
// bench Worker's trace (each D1 statement, queue send, hub RPC; bench/worker.ts).

import { now, percentile } from "./lib/stats.mjs";
import { waiters } from "./lib/waiters.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The hub-alone samples' notice numbers start here (the direct publish's are the rounds). */
const HUB_N = 100_000;

/** A socket on a floor hub: arrival time of each event, by task id or by `n`. */
export async function floorSocket(url, hub) {
	const ws = new WebSocket(`${url.replace(/^http/, "ws")}/floor/ws?hub=${hub}`);
	const arrivals = new Map();
	const events = new Map();
	let count = 0;
	const waiting = waiters();
	ws.addEventListener("message", (m) => {
		const at = now();
		for (const e of JSON.parse(m.data)) {
			count++;
			const key = e.task_id ?? `n${e.n}`;
			if (e.type === "RUN_STARTED" || e.type === "DIRECT" || e.type === "RUN_FINISHED") {
				arrivals.set(e.type === "RUN_FINISHED" ? `end:${key}` : key, at);
				events.set(key, e);
			}
		}
		waiting.notify();
	});
	await new Promise((resolve, reject) => {
		ws.addEventListener("open", resolve, { once: true });
		ws.addEventListener("error", () => reject(new Error(`floor socket ${hub} failed`)), { once: true });
	});
	return { ws, arrivals, events, until: waiting.until, count: () => count };
}

/**
 * The five kinds, `samples` each, interleaved: round r runs every kind once, in an order
 * rotated by r, each after `gapMs` of idle (a Sparky task's run has ended before its gap).
 */
export async function runDispatchSamples({ url, post, get, watcher, samples = 60, gapMs = 250 }) {
	await post("/floor/setup", {});
	const floor = await floorSocket(url, "floor");
	const kinds = {
		async direct(n) {
			const t0 = now();
			await post("/api/users/agent/events", { name: "bench.direct", value: { n } });
			await watcher.until(() => watcher.state.notices.has(n), 10_000);
			const at = watcher.state.notices.get(n);
			return { ms: at - t0, hops: sparkyHops(await get("/bench/trace"), t0, at, "the notice on the socket") };
		},
		async dispatch() {
			const t0 = now();
			const { task } = await post("/api/tasks", { instruction: "what time is it", allow_duplicates: true });
			await watcher.until(() => watcher.state.arrivals.has(task.id), 30_000);
			const at = watcher.state.arrivals.get(task.id);
			await watcher.until(() => watcher.state.terminal.has(task.id), 30_000);
			const trace = await get("/bench/trace");
			return { ms: at - t0, hops: sparkyHops(trace, t0, at) };
		},
		// Sparky's hub alone: the bench Worker calls its publish straight (no route, auth or relay).
		async hub_direct(n) {
			const t0 = now();
			await post("/bench/publish/agent", [{ type: "CUSTOM", name: "bench.direct", value: { n: HUB_N + n } }]);
			await watcher.until(() => watcher.state.notices.has(HUB_N + n), 10_000);
			return { ms: watcher.state.notices.get(HUB_N + n) - t0 };
		},
		async floor_direct(n) {
			const t0 = now();
			await post("/floor/publish", { hub: "floor", events: [{ type: "DIRECT", n }] });
			await floor.until(() => floor.arrivals.has(`n${n}`), 10_000);
			return { ms: floor.arrivals.get(`n${n}`) - t0 };
		},
		async floor_dispatch() {
			const t0 = now();
			const { id, t } = await post("/floor/tasks", { hub: "floor" });
			await floor.until(() => floor.arrivals.has(id), 30_000);
			const at = floor.arrivals.get(id);
			return { ms: at - t0, hops: floorHops({ ...floor.events.get(id).t, sent: t.sent }, t0, at) };
		},
	};
	// Sparky's trace starts before the idle gap, not after it: a request right before a sample
	// would wake the isolate for it, which the floor's samples don't get.
	const traceOn = () => post("/bench/trace", {});
	const prepare = { direct: traceOn, dispatch: traceOn };
	const names = Object.keys(kinds);
	// One warm-up of each (first calls compile code, open D1, wake objects): not counted.
	for (const name of names) {
		await prepare[name]?.();
		await kinds[name](-1 - names.indexOf(name));
	}
	const taken = [];
	for (let round = 0; round < samples; round++) {
		for (let i = 0; i < names.length; i++) {
			const kind = names[(round + i) % names.length];
			await prepare[kind]?.();
			await sleep(gapMs);
			const r = await kinds[kind](round);
			taken.push({ kind, round, gapMs, ...r });
		}
	}
	floor.ws.close();
	return taken;
}

/**
 * p50 and p90 of `a` over `b`, or a refusal when their samples were not taken alike: the same
 * count, the same gap before each, each round holding one of each (interleaved).
 */
export function likeForLike(samples, a, b) {
	const sa = samples.filter((s) => s.kind === a);
	const sb = samples.filter((s) => s.kind === b);
	const gaps = (s) => [...new Set(s.map((x) => x.gapMs))].join(",");
	const rounds = (s) => s.map((x) => x.round).join(",");
	let refused;
	if (sa.length === 0 || sa.length !== sb.length) refused = `${a} has ${sa.length} samples, ${b} ${sb.length}`;
	else if (gaps(sa) !== gaps(sb) || gaps(sa).includes(","))
		refused = `gaps differ: ${a} ${gaps(sa)} ms, ${b} ${gaps(sb)} ms`;
	else if (rounds(sa) !== rounds(sb)) refused = `${a} and ${b} were not sampled in the same rounds`;
	const ms = (s) => s.map((x) => x.ms);
	const out = {
		a: { p50: percentile(ms(sa), 50), p90: percentile(ms(sa), 90), n: sa.length },
		b: { p50: percentile(ms(sb), 50), p90: percentile(ms(sb), 90), n: sb.length },
	};
	if (refused) return { ...out, refused, p50: Number.NaN, p90: Number.NaN };
	return { ...out, p50: out.a.p50 / out.b.p50, p90: out.a.p90 / out.b.p90 };
}

/** The floor's hops, from the timestamps its event carries (worker clock = client clock, one machine). */
function floorHops(t, t0, at) {
	return {
		"HTTP in": t.in - t0,
		"D1 insert": t.inserted - t.in,
		"queue send": t.sent - t.inserted,
		"queue → consumer (from the send's start)": t.consumed - t.inserted,
		"D1 claim": t.claimed - t.consumed,
		"RPC → hub": t.hub - t.claimed,
		"hub → socket": at - t.hub,
	};
}

/** Sparky's hops: each traced call before RUN_STARTED arrived, by name and occurrence, as start offset and duration. */
function sparkyHops(trace, t0, at, arrival = "RUN_STARTED on the socket") {
	const hops = {};
	const seen = new Map();
	for (const e of trace) {
		// Work left from before the sample (a previous run's waitUntil) is not its hop.
		if (e.start > at || e.start < t0) continue;
		const n = (seen.get(e.what) ?? 0) + 1;
		seen.set(e.what, n);
		const key = n === 1 ? e.what : `${e.what} #${n}`;
		hops[key] = { at: e.start - t0, ms: (e.end ?? e.start) - e.start };
	}
	hops[arrival] = { at: at - t0, ms: 0 };
	return hops;
}

/** Per hop, the p50 over the samples that have it: for the floor a duration; for Sparky start offset and duration. */
export function hopTable(samples, kind) {
	const rows = new Map();
	for (const s of samples.filter((x) => x.kind === kind && x.hops)) {
		for (const [hop, v] of Object.entries(s.hops)) {
			const row = rows.get(hop) ?? { at: [], ms: [] };
			if (typeof v === "number") row.ms.push(v);
			else {
				row.at.push(v.at);
				row.ms.push(v.ms);
			}
			rows.set(hop, row);
		}
	}
	return [...rows.entries()]
		.map(([hop, r]) => ({
			hop,
			n: r.ms.length,
			at: r.at.length ? percentile(r.at, 50) : Number.NaN,
			ms: percentile(r.ms, 50),
		}))
		.sort((x, y) => (Number.isNaN(x.at) ? 0 : x.at - y.at));
}

/**
 * The burst floor: `burst` floor tasks submitted as Sparky's burst is (64 POSTs in flight), each
 * doing what a demo task did in Sparky's burst (`plan`: steps, D1 writes, events and publishes
 * per task), timed to the last task's end on the floor's agent socket.
 */
export async function runFloorBurst({ url, post, burst, plan }) {
	const agent = await floorSocket(url, "burst");
	const creator = await floorSocket(url, "burst-creator");
	const ids = [];
	let next = 0;
	const started = now();
	await Promise.all(
		Array.from({ length: 64 }, async () => {
			while (next < burst) {
				next++;
				const { id } = await post("/floor/tasks", { hub: "burst", plan });
				ids.push(id);
			}
		}),
	);
	const submitted = now();
	const drained = await agent.until(() => ids.every((id) => agent.arrivals.has(`end:${id}`)), 15 * 60_000);
	const finished = now();
	await new Promise((r) => setTimeout(r, 500));
	const result = {
		tasks: burst,
		drained,
		plan,
		submitSeconds: (submitted - started) / 1000,
		drainSeconds: (finished - started) / 1000,
		agentEvents: agent.count(),
		creatorEvents: creator.count(),
	};
	agent.ws.close();
	creator.ws.close();
	return result;
}

/** What a demo task did in Sparky's burst, per task, as the floor's plan. */
export function floorPlan({ burst, hubs, worker, byStatement }) {
	const per = (n) => Math.round(n / burst);
	const steps = Math.max(
		1,
		Math.round(byStatement.filter(([sql]) => /^INSERT.*task_messages/i.test(sql)).reduce((sum, [, n]) => sum + n, 0)) ||
			3,
	);
	// D1 statements per task, less the floor's own insert, claim and end (and the steps' own).
	const writes = Math.max(0, per(worker.d1Queries) - steps - 3);
	return {
		steps,
		writes,
		events: per(hubs.creator.events),
		publishes: Math.max(steps + 2, per(hubs.creator.publishes)),
		summaryEvents: per(hubs.agent.events),
	};
}
