// Task pipeline on wrangler dev with the demo model, beside a baseline from the same run:
//   direct: POST /api/users/agent/events publishes straight to the agent's hub;
//   task:   POST /api/tasks → queue → runner → agent → RUN_STARTED on the agent's socket.
// Then streaming tasks at the demo model's chunk delay (text delta → socket, calls to the agent
// hub per task-second), and a burst of tasks submitted at once, drained to terminal states,
// every event accounted, with what each task cost in rows, requests and queries.

import { agentHubCapacity } from "./capacity.mjs";
import { floorPlan, hopTable, likeForLike, runDispatchSamples, runFloorBurst } from "./dispatch.mjs";
import { cpuProfiler } from "./lib/profile.mjs";
import { now, percentile } from "./lib/stats.mjs";
import { waiters } from "./lib/waiters.mjs";

/** Cloudflare's published prices (US$ per unit; docs/benchmarks.md cites them). */
export const PRICES = {
	doRequest: 0.15 / 1e6,
	sqlRowWritten: 1.0 / 1e6,
	sqlRowRead: 0.001 / 1e6,
	queueOperation: 0.4 / 1e6,
	workerRequest: 0.3 / 1e6,
};

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * A counter's growth between two snapshots; NaN when the hub restarted in between (its
 * counters start again at 0 on each wake, `woke_at`), so a restart never reads as a figure.
 */
function counted(before, after, side, key) {
	if (side !== "worker" && before[side].woke_at !== after[side].woke_at) return Number.NaN;
	return after[side][key] - before[side][key];
}

/** One socket on a user's hub that records arrival times and checks seq continuity. */
async function agentWatcher(url, token) {
	const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/ws`, ["sparky.v1", `sparky.auth.${token}`]);
	const state = {
		lastSeq: undefined,
		gaps: 0,
		dups: 0,
		events: 0,
		arrivals: new Map(),
		terminal: new Map(),
		notices: new Map(),
		/** TEXT_MESSAGE_CONTENT: arrival − the event's ts (stamped when the runner got the delta). */
		deltaLatencies: [],
		/** Every task event: arrival − its ts (how far behind the socket's view runs). */
		lags: [],
		started: new Map(),
		ended: new Map(),
	};
	const waiting = waiters();
	ws.addEventListener("message", (m) => {
		const at = now();
		for (const item of JSON.parse(m.data)) {
			if (typeof item.seq !== "number") {
				if (item.type === "session") state.lastSeq = item.last_seq;
				continue;
			}
			if (item.seq <= state.lastSeq) state.dups++;
			else if (item.seq !== state.lastSeq + 1) state.gaps++;
			state.lastSeq = Math.max(state.lastSeq, item.seq);
			state.events++;
			if (item.type === "RUN_STARTED" && !state.arrivals.has(item.task_id)) state.arrivals.set(item.task_id, at);
			if (item.type === "TEXT_MESSAGE_CONTENT" && typeof item.ts === "number") state.deltaLatencies.push(at - item.ts);
			if (item.task_id && typeof item.ts === "number") state.lags.push(at - item.ts);
			if (item.type === "CUSTOM" && item.name === "bench.direct") state.notices.set(item.value.n, at);
			if (item.type === "CUSTOM" && item.name === "sparky.task.status" && TERMINAL.has(item.value.status)) {
				state.terminal.set(item.task_id, item.value.status);
				state.ended.set(item.task_id, at);
			}
			if (item.type === "CUSTOM" && item.name === "sparky.task.status" && item.value.status === "running") {
				if (!state.started.has(item.task_id)) state.started.set(item.task_id, at);
			}
		}
		waiting.notify();
	});
	await new Promise((resolve, reject) => {
		ws.addEventListener("open", resolve, { once: true });
		ws.addEventListener("error", () => reject(new Error("agent socket failed")), { once: true });
	});
	return { ws, state, until: waiting.until };
}

/** Sparky's direct publish and dispatch beside the floor's, from interleaved samples. */
function dispatchFiguresOf(samples) {
	const pct = (kind) => {
		const ms = samples.filter((x) => x.kind === kind).map((x) => x.ms);
		return { p50: percentile(ms, 50), p90: percentile(ms, 90), p99: percentile(ms, 99), n: ms.length };
	};
	return {
		direct: pct("direct"),
		hubDirect: pct("hub_direct"),
		dispatch: pct("dispatch"),
		floorDirect: pct("floor_direct"),
		floorDispatch: pct("floor_dispatch"),
		dispatchVsFloor: likeForLike(samples, "dispatch", "floor_dispatch"),
		publishVsFloor: likeForLike(samples, "direct", "floor_direct"),
		hubVsFloor: likeForLike(samples, "hub_direct", "floor_direct"),
		dispatchVsDirect: likeForLike(samples, "dispatch", "direct"),
		hops: {
			sparky: hopTable(samples, "dispatch"),
			floor: hopTable(samples, "floor_dispatch"),
			direct: hopTable(samples, "direct"),
		},
	};
}

export async function runTaskBench({
	url,
	adminToken,
	burst = 500,
	dispatchSamples = 60,
	streaming = 8,
	chunkDelayMs = 25,
	loadLevels = [32, 96],
	profile,
	/** Only the dispatch samples and the burst: quick enough to repeat, for comparing builds. */
	burstOnly = false,
	/** Only the interleaved dispatch samples (and their hop breakdown). */
	dispatchOnly = false,
	/** Only the streaming phases and one hub's intake (issue #33: one user's tasks at once). */
	streamOnly = false,
}) {
	const headers = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
	const postAs = async (token, path, body) => {
		const res = await fetch(`${url}${path}`, {
			method: "POST",
			headers: { ...headers, Authorization: `Bearer ${token}` },
			body: JSON.stringify(body),
		});
		if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
		return res.json();
	};
	const post = (path, body) => postAs(adminToken, path, body);
	const get = async (path) => {
		const res = await fetch(`${url}${path}`, { headers });
		if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
		return res.json();
	};
	const { token } = await post("/api/users/agent/tokens", { name: "bench" });
	const watcher = await agentWatcher(url, token);
	// The tasks' creator (the admin secret's user): its hub carries each task's full stream.
	const creator = await agentWatcher(url, adminToken);
	/** Both hubs' counters plus the Worker's (D1, queue), to diff around a phase. */
	const snapshot = async () => ({
		agent: await get("/bench/hub-stats/agent"),
		creator: await get("/bench/hub-stats/admin"),
		worker: await get("/bench/counters"),
	});
	// A hub whose sockets are all hibernatable sleeps after ~10 s without a request, and its
	// in-memory counters start again when it wakes: the bench looks at both hubs every 2 s so a
	// quiet spell in the agent's summary view doesn't cost the measurement (`counted` still
	// refuses a diff across a wake).
	const keepAwake = setInterval(() => void snapshot().catch(() => undefined), 2000);

	// A second user, streaming one task beside each level of the creator's: how far behind its
	// socket runs while one user's hub takes many tasks (issue #33).
	const bystanderId = `bystander-${Date.now()}`;
	await post("/api/users", { id: bystanderId });
	const { token: bystanderToken } = await post(`/api/users/${bystanderId}/tokens`, { name: "bench" });
	const bystander = await agentWatcher(url, bystanderToken);

	// Sparky's direct publish and dispatch, and the floor's, interleaved with the same gap
	// before every sample (bench/dispatch.mjs): each ratio's two sides were sampled alike.
	// BENCH_PROFILE with BENCH_DISPATCH_ONLY: the CPU profile covers the dispatch samples.
	const dispatchProfiler = profile && dispatchOnly ? await cpuProfiler(profile.port) : undefined;
	await dispatchProfiler?.start();
	const samples = streamOnly
		? undefined
		: await runDispatchSamples({ url, post, get, watcher, samples: dispatchSamples });
	if (dispatchProfiler) {
		const { top } = await dispatchProfiler.stop(profile.file);
		console.log(`CPU over the dispatch samples (${profile.file}):\n${top.join("\n")}`);
	}
	const dispatchFigures = samples && dispatchFiguresOf(samples);
	if (dispatchOnly) {
		clearInterval(keepAwake);
		for (const socket of [watcher, creator, bystander]) socket.ws.close();
		return dispatchFigures;
	}

	// Streaming: tasks at the demo model's chunk delay, `count` at once. Text delta → socket
	// latency on the creator's socket, how far behind the runs each socket is, and how often
	// the agent hub is called per task-second.
	const streamPhase = async (count) => {
		await post("/bench/demo-delay", { ms: chunkDelayMs });
		const before = await snapshot();
		creator.state.deltaLatencies.length = 0;
		creator.state.lags.length = 0;
		watcher.state.lags.length = 0;
		bystander.state.lags.length = 0;
		// The pace the creator's hub asked of its writers (hub/intake-pace.ts), at its busiest.
		const busiest = { paceMs: 0, writers: 0, tasks: 0 };
		const sampler = setInterval(async () => {
			const d = await get("/bench/hub-stats/admin").catch(() => undefined);
			if (!d) return;
			busiest.paceMs = Math.max(busiest.paceMs, d.pace_ms ?? 0);
			busiest.writers = Math.max(busiest.writers, d.writers ?? 0);
			busiest.tasks = Math.max(busiest.tasks, d.streaming_tasks ?? 0);
		}, 250);
		const t0 = now();
		const instruction = { instruction: "list files and summarise README.md", allow_duplicates: true };
		const [streamIds, bystanderTask] = await Promise.all([
			Promise.all(
				Array.from({ length: count }, async () => {
					const { task } = await post("/api/tasks", instruction);
					return task.id;
				}),
			),
			postAs(bystanderToken, "/api/tasks", instruction).then((r) => r.task.id),
		]);
		await creator.until(() => streamIds.every((id) => creator.state.ended.has(id)), 300_000);
		const wallSeconds = (now() - t0) / 1000;
		await bystander.until(() => bystander.state.ended.has(bystanderTask), 300_000);
		clearInterval(sampler);
		const after = await snapshot();
		await post("/bench/demo-delay", { ms: null });
		const taskSeconds = streamIds.reduce(
			(sum, id) => sum + ((creator.state.ended.get(id) ?? now()) - (creator.state.started.get(id) ?? now())) / 1000,
			0,
		);
		return {
			tasks: count,
			chunkDelayMs,
			wallSeconds,
			deltas: creator.state.deltaLatencies.length,
			deltaP50: percentile(creator.state.deltaLatencies, 50),
			deltaP99: percentile(creator.state.deltaLatencies, 99),
			agentLagP99: percentile(watcher.state.lags, 99),
			creatorLagP99: percentile(creator.state.lags, 99),
			taskSeconds,
			agentCalls: counted(before, after, "agent", "publishes"),
			agentEvents: counted(before, after, "agent", "events_stored"),
			agentCallsPerTaskSecond: counted(before, after, "agent", "publishes") / taskSeconds,
			creatorCallsPerTaskSecond: counted(before, after, "creator", "publishes") / taskSeconds,
			creatorEventsPerTaskSecond: counted(before, after, "creator", "events_stored") / taskSeconds,
			creatorCalls: counted(before, after, "creator", "publishes"),
			creatorEvents: counted(before, after, "creator", "events_stored"),
			bystanderLagP99: percentile(bystander.state.lags, 99),
			creatorPaceMs: busiest.paceMs,
			creatorWriters: busiest.writers,
			creatorStreamingTasks: busiest.tasks,
			agentEventsPerTaskSecond: counted(before, after, "agent", "events_stored") / taskSeconds,
		};
	};
	const stream = burstOnly ? undefined : await streamPhase(streaming);
	// Load levels: more streaming tasks at once, up to past what this machine runs in real time.
	const levels = [];
	if (!burstOnly) for (const count of loadLevels) levels.push(await streamPhase(count));
	const capacity = burstOnly ? undefined : await agentHubCapacity({ url, post, openSocket: agentWatcher });
	if (streamOnly) {
		clearInterval(keepAwake);
		for (const socket of [watcher, creator, bystander]) socket.ws.close();
		return { stream, levels, capacity };
	}

	// Burst: submit at once (64 requests in flight), then wait for every task to end.
	const burstBefore = await snapshot();
	const statementsBefore = await get("/bench/statements");
	const eventsBefore = watcher.state.events;
	const creatorEventsBefore = creator.state.events;
	const profiler = profile ? await cpuProfiler(profile.port) : undefined;
	await profiler?.start();
	watcher.state.lags.length = 0;
	creator.state.lags.length = 0;
	const started = now();
	const ids = [];
	const instructions = [
		"list files and summarise README.md",
		"what time is it",
		"list my tasks",
		"write notes.md with: bench",
	];
	let next = 0;
	await Promise.all(
		Array.from({ length: 64 }, async () => {
			while (next < burst) {
				const i = next++;
				const { task } = await post("/api/tasks", {
					instruction: instructions[i % instructions.length],
					allow_duplicates: true,
				});
				ids.push(task.id);
			}
		}),
	);
	const submitted = now();
	const drained = await watcher.until(() => ids.every((id) => watcher.state.terminal.has(id)), 15 * 60_000);
	const finished = now();
	let hubCpu;
	if (profiler) {
		const { top, insideMs } = await profiler.stop(profile.file);
		console.log(`CPU over the burst (${profile.file}):\n${top.join("\n")}`);
		hubCpu = { publishMs: insideMs };
	}
	const statuses = {};
	for (const id of ids) {
		const s = watcher.state.terminal.get(id) ?? "not terminal";
		statuses[s] = (statuses[s] ?? 0) + 1;
	}
	// Let the last events land before counting.
	await new Promise((r) => setTimeout(r, 1000));
	const burstAfter = await snapshot();
	const statementsAfter = await get("/bench/statements");
	/** One counter of the burst per task, by statement, the largest first. */
	const perTaskByStatement = (counter) =>
		Object.entries(statementsAfter)
			.map(([sql, after]) => [sql, (after[counter] - (statementsBefore[sql]?.[counter] ?? 0)) / burst])
			.filter(([, perTask]) => perTask > 0)
			.sort((a, b) => b[1] - a[1]);
	const byStatement = perTaskByStatement("queries");
	// What D1 bills most: an index a row is in counts as a row written too.
	const writesByStatement = perTaskByStatement("rowsWritten");
	const diff = (side, key) => counted(burstBefore, burstAfter, side, key);
	// Each hub's events over the burst are what its socket received (every stored event is
	// sent). A hub that restarted under the load (its counters start again at a wake) is
	// measured per event over what it did since that wake, and scaled: marked as estimated.
	const socketEvents = {
		agent: watcher.state.events - eventsBefore,
		creator: creator.state.events - creatorEventsBefore,
	};
	const hubs = {};
	for (const side of ["agent", "creator"]) {
		const whole = burstBefore[side].woke_at === burstAfter[side].woke_at;
		const perEvent = (key) =>
			whole
				? diff(side, key) / diff(side, "events_stored")
				: burstAfter[side][key] / Math.max(1, burstAfter[side].events_stored);
		const events = socketEvents[side];
		hubs[side] = {
			estimated: !whole,
			publishes: Math.round(perEvent("publishes") * events),
			events,
			rowsWritten: Math.round(perEvent("rows_written") * events),
			rowsRead: Math.round(perEvent("rows_read") * events),
			rowsPerEvent: perEvent("rows_written"),
		};
	}
	const worker = Object.fromEntries(Object.keys(burstAfter.worker).map((k) => [k, diff("worker", k)]));
	const per1000 = 1000 / burst;
	// Billed units per 1,000 tasks: DO requests (hub publishes + the POST's rate-limit call),
	// DO SQL rows (both hubs' event logs), D1 rows, queue operations (write + read + delete per
	// message), Worker requests (the POSTs and the consumer's batches).
	const units = {
		doRequests: (hubs.agent.publishes + hubs.creator.publishes + burst) * per1000,
		sqlRowsWritten: (hubs.agent.rowsWritten + hubs.creator.rowsWritten) * per1000,
		sqlRowsRead: (hubs.agent.rowsRead + hubs.creator.rowsRead) * per1000,
		d1RowsWritten: worker.d1RowsWritten * per1000,
		d1RowsRead: worker.d1RowsRead * per1000,
		d1Queries: worker.d1Queries * per1000,
		queueOperations: (worker.queueSends * 2 + worker.queueMessages) * per1000,
		workerRequests: (burst + worker.queueBatches) * per1000,
	};
	const dollars = {
		doRequests: units.doRequests * PRICES.doRequest,
		doSqlRows: units.sqlRowsWritten * PRICES.sqlRowWritten + units.sqlRowsRead * PRICES.sqlRowRead,
		d1Rows: units.d1RowsWritten * PRICES.sqlRowWritten + units.d1RowsRead * PRICES.sqlRowRead,
		queue: units.queueOperations * PRICES.queueOperation,
		workerRequests: units.workerRequests * PRICES.workerRequest,
	};
	const total = Object.values(dollars).reduce((a, b) => a + b, 0);
	// The burst floor: the same number of tasks, each doing what a demo task did here, no model library.
	const plan = floorPlan({ burst, hubs, worker, byStatement });
	const floorBurst = await runFloorBurst({ url, post, burst, plan });
	clearInterval(keepAwake);
	for (const socket of [watcher, creator, bystander]) socket.ws.close();
	return {
		stream,
		levels,
		capacity,
		cost: { units, dollars, total, hubs, worker, byStatement, writesByStatement },
		hubCpu,
		...dispatchFigures,
		floorBurst,
		burst: {
			tasks: burst,
			drained,
			statuses,
			submitSeconds: (submitted - started) / 1000,
			agentLagP50: percentile(watcher.state.lags, 50),
			agentLagP99: percentile(watcher.state.lags, 99),
			creatorLagP50: percentile(creator.state.lags, 50),
			creatorLagP99: percentile(creator.state.lags, 99),
			drainSeconds: (finished - started) / 1000,
			tasksPerSecond: burst / ((finished - started) / 1000),
			eventsDelivered: watcher.state.events - eventsBefore,
			gaps: watcher.state.gaps,
			duplicates: watcher.state.dups,
			creatorEvents: creator.state.events - creatorEventsBefore,
			creatorGaps: creator.state.gaps,
			creatorDuplicates: creator.state.dups,
		},
	};
}
