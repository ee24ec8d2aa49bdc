// Task pipeline on wrangler dev with the demo model, beside a baseline from the same run:
//   direct: POST /api/users/agent/events publishes straight to the agent's hub;
//   task:   POST /api/tasks → queue → runner → agent → RUN_STARTED on the agent's socket.
// Then a burst of tasks submitted at once, drained to terminal states, every event accounted.
import { now, percentile } from "./lib/stats.mjs";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** One socket on the agent user's hub that records arrival times and checks seq continuity. */
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
	};
	const waiters = new Set();
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
			if (item.type === "CUSTOM" && item.name === "bench.direct") state.notices.set(item.value.n, at);
			if (item.type === "CUSTOM" && item.name === "sparky.task.status" && TERMINAL.has(item.value.status)) {
				state.terminal.set(item.task_id, item.value.status);
			}
		}
		for (const waiter of [...waiters]) waiter();
	});
	await new Promise((resolve, reject) => {
		ws.addEventListener("open", resolve, { once: true });
		ws.addEventListener("error", () => reject(new Error("agent socket failed")), { once: true });
	});
	const until = (check, timeoutMs) =>
		new Promise((resolve) => {
			const done = () => {
				if (!check()) return;
				waiters.delete(done);
				clearTimeout(timer);
				resolve(true);
			};
			const timer = setTimeout(() => {
				waiters.delete(done);
				resolve(false);
			}, timeoutMs);
			waiters.add(done);
			done();
		});
	return { ws, state, until };
}

export async function runTaskBench({ url, adminToken, burst = 500, samples = 40 }) {
	const headers = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
	const post = async (path, body) => {
		const res = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
		if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
		return res.json();
	};
	const { token } = await post("/api/users/agent/tokens", { name: "bench" });
	const watcher = await agentWatcher(url, token);

	// Baseline: publish straight to the hub, one at a time.
	const direct = [];
	for (let n = 0; n < samples; n++) {
		const t0 = now();
		await post("/api/users/agent/events", { name: "bench.direct", value: { n } });
		await watcher.until(() => watcher.state.notices.has(n), 10_000);
		direct.push(watcher.state.notices.get(n) - t0);
	}

	// Task dispatch latency: one task at a time, POST → RUN_STARTED on the socket.
	const dispatch = [];
	for (let n = 0; n < samples; n++) {
		const t0 = now();
		const { task } = await post("/api/tasks", { instruction: "what time is it", allow_duplicates: true });
		await watcher.until(() => watcher.state.arrivals.has(task.id), 30_000);
		dispatch.push(watcher.state.arrivals.get(task.id) - t0);
		await watcher.until(() => watcher.state.terminal.has(task.id), 30_000);
	}

	// Burst: submit at once (64 requests in flight), then wait for every task to end.
	const eventsBefore = watcher.state.events;
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
	const statuses = {};
	for (const id of ids) {
		const s = watcher.state.terminal.get(id) ?? "not terminal";
		statuses[s] = (statuses[s] ?? 0) + 1;
	}
	watcher.ws.close();
	return {
		direct: { p50: percentile(direct, 50), p99: percentile(direct, 99) },
		dispatch: { p50: percentile(dispatch, 50), p99: percentile(dispatch, 99) },
		burst: {
			tasks: burst,
			drained,
			statuses,
			submitSeconds: (submitted - started) / 1000,
			drainSeconds: (finished - started) / 1000,
			tasksPerSecond: burst / ((finished - started) / 1000),
			eventsDelivered: watcher.state.events - eventsBefore,
			gaps: watcher.state.gaps,
			duplicates: watcher.state.dups,
		},
	};
}
