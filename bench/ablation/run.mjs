#!/usr/bin/env node
// The cost of each guarantee on the dispatch path, by switching it off (issue #30). Needs
// guarantees.patch applied (README.md here): it adds switches to src/ that production never has.
// Every variant is sampled interleaved with the others and the floor, 250 ms idle before each.
//   ABLATE_ROUNDS=N  samples per variant (50);  ABLATE_ONLY=publish|dispatch  one phase.
import "../../scripts/lib/node-check.mjs";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../../scripts/lib/dev-server.mjs";
import { floorSocket } from "../dispatch.mjs";
import { now, percentile } from "../lib/stats.mjs";
import { waiters } from "../lib/waiters.mjs";

const rounds = Number(process.env.ABLATE_ROUNDS ?? 50);
const only = process.env.ABLATE_ONLY;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const adminToken = `bench_${randomBytes(24).toString("base64url")}`;
const state = mkdtempSync(join(tmpdir(), "sparky-ablate-"));
const server = await startDevServer({ config: "bench/wrangler.bench.toml", persistTo: state, adminToken });
const { url } = server;
console.log(`wrangler dev on ${url} (state in ${state})`);

async function post(path, body, token = adminToken) {
	const res = await fetch(`${url}${path}`, {
		method: "POST",
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return res.json();
}

/** The agent's socket: when each notice and each task's RUN_STARTED and end arrived. */
async function agentSocket(token) {
	const ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/ws`, ["sparky.v1", `sparky.auth.${token}`]);
	const seen = { notices: new Map(), started: new Map(), ended: new Set() };
	const waiting = waiters();
	ws.addEventListener("message", (m) => {
		const at = now();
		for (const e of JSON.parse(m.data)) {
			if (e.type === "CUSTOM" && e.name === "bench.direct") seen.notices.set(e.value.n, at);
			if (e.type === "RUN_STARTED" && !seen.started.has(e.task_id)) seen.started.set(e.task_id, at);
			const status = e.type === "CUSTOM" && e.name === "sparky.task.status" ? e.value.status : undefined;
			if (["succeeded", "failed", "cancelled"].includes(status)) seen.ended.add(e.task_id);
		}
		waiting.notify();
	});
	await new Promise((r) => ws.addEventListener("open", r, { once: true }));
	return { ws, seen, until: waiting.until };
}

/** Rounds of every kind once, in rotating order, each after its switches are set and 250 ms of idle. */
async function sample(kinds) {
	const names = Object.keys(kinds);
	const out = Object.fromEntries(names.map((k) => [k, []]));
	for (let r = -1; r < rounds; r++) {
		for (let i = 0; i < names.length; i++) {
			const name = names[(r + 1 + i) % names.length];
			await post("/bench/ablate", kinds[name].off);
			await sleep(250);
			const ms = await kinds[name].run();
			if (r >= 0) out[name].push(ms);
		}
	}
	await post("/bench/ablate", {});
	return out;
}

function report(title, out, floor) {
	const base = percentile(out[floor], 50);
	console.log(`\n${title} (p50 of ${rounds}, ms; ratio over ${floor})`);
	for (const [name, ms] of Object.entries(out))
		console.log(
			`${name.padStart(16)}  p50 ${percentile(ms, 50).toFixed(2).padStart(6)}  p90 ${percentile(ms, 90).toFixed(2).padStart(6)}  ${(percentile(ms, 50) / base).toFixed(2)}`,
		);
}

try {
	const { token } = await post("/api/users/agent/tokens", { name: "ablation" });
	const agent = await agentSocket(token);
	await post("/floor/setup", {});
	const floor = await floorSocket(url, "floor");
	let n = 0;
	const hub = (off) => ({
		off,
		async run() {
			const k = ++n;
			const t0 = now();
			await post("/bench/publish/agent", [{ type: "CUSTOM", name: "bench.direct", value: { n: k } }]);
			await agent.until(() => agent.seen.notices.has(k), 10_000);
			return agent.seen.notices.get(k) - t0;
		},
	});
	const floorPublish = (store) => ({
		off: {},
		async run() {
			const k = ++n;
			const t0 = now();
			await post("/floor/publish", { hub: "floor", events: [{ type: "DIRECT", n: k }], store });
			await floor.until(() => floor.arrivals.has(`n${k}`), 10_000);
			return floor.arrivals.get(`n${k}`) - t0;
		},
	});
	const dispatch = (off) => ({
		off,
		async run() {
			const t0 = now();
			const { task } = await post("/api/tasks", { instruction: "what time is it", allow_duplicates: true });
			await agent.until(() => agent.seen.started.has(task.id), 30_000);
			const ms = agent.seen.started.get(task.id) - t0;
			await agent.until(() => agent.seen.ended.has(task.id), 30_000);
			return ms;
		},
	});
	const floorDispatch = {
		off: {},
		async run() {
			const t0 = now();
			const { id } = await post("/floor/tasks", { hub: "floor" });
			await floor.until(() => floor.arrivals.has(id), 30_000);
			return floor.arrivals.get(id) - t0;
		},
	};
	if (only !== "dispatch") {
		const out = await sample({
			hub: hub({}),
			"hub, no zod": hub({ noparse: 1 }),
			"hub, no store": hub({ nowrite: 1 }),
			"floor, storing": floorPublish(true),
			floor: floorPublish(false),
		});
		report("A hub publish → socket", out, "floor");
	}
	if (only !== "publish") {
		const out = await sample({
			sparky: dispatch({}),
			"no rate RPC": dispatch({ noRate: 1 }),
			"no announcement": dispatch({ noAnn: 1 }),
			"announce after": dispatch({ annAfter: 1 }),
			"agent hub only": dispatch({ agentOnly: 1 }),
			"no stored event": dispatch({ nowrite: 1 }),
			"none of them": dispatch({ noRate: 1, noAnn: 1, agentOnly: 1, nowrite: 1 }),
			floor: floorDispatch,
		});
		report("POST → RUN_STARTED on the agent's socket", out, "floor");
	}
	agent.ws.close();
	floor.ws.close();
} finally {
	await server.stop();
	rmSync(state, { recursive: true, force: true });
}
