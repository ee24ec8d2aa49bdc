// The agent's board in Chromium (issue #31): frame time and the page's memory with 100 and
// 1,000 running tasks, beside an empty board measured in the same run.
//
// The page is the real one, served by a real `wrangler dev` (its HTTP API answers the sign-in
// and the board's snapshot); only its hub socket is Playwright's (`routeWebSocket`), which
// plays a generated summary stream such as the agent hub sends: every task calls a tool every
// 2 s, 1 % of them end and as many start every 250 ms (the agent hub's pacing), so the board
// stays at N running while rows start, tick, end and leave. Measured over 10 s after a warm-up:
// the interval between animation frames (p50/p95/max, and frames over 50 ms), main-thread long
// tasks, the JS heap after a forced GC (CDP), and how many rows are in the DOM.
//   node bench/board.mjs            or  BENCH_ONLY=board npm run bench
//   BENCH_BOARD_LEVELS=100,1000     the running-task levels (0, the empty board, always runs first)
import "../scripts/lib/node-check.mjs";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { buildWeb } from "../scripts/lib/build-web.mjs";
import { startDevServer } from "../scripts/lib/dev-server.mjs";
import { fmt, percentile, table } from "./lib/stats.mjs";

const CHROMIUM = process.env.SPARKY_E2E_CHROMIUM ?? "/usr/bin/chromium";
const TICK_MS = 250;
const MEASURE_MS = 10_000;
const TOOLS = [
	"http_fetch",
	"read_file",
	"list_files",
	"write_file",
	"remember",
	"recall",
	"web_search",
	"github__search",
];

/** A generated summary stream for `n` running tasks: each call of `tick()` is one hub frame. */
function summaryStream(n) {
	let seq = 0;
	let next = 0;
	let tickNo = 0;
	const steps = new Map();
	const ev = (fields) => ({ seq: ++seq, ts: Date.now(), ...fields });
	const status = (id, st, attempt, extra = {}) =>
		ev({
			id: `${id}:status:${st}:${attempt}`,
			type: "CUSTOM",
			task_id: id,
			...(attempt ? { attempt } : {}),
			name: "sparky.task.status",
			value: { task_id: id, kind: "task", status: st, attempt, user_id: `user${next % 25}`, ...extra },
		});
	const run = (id, fields) => {
		const step = (steps.get(id) ?? 0) + 1;
		steps.set(id, step);
		return ev({ id: `${id}:1:${step}`, task_id: id, attempt: 1, ...fields });
	};
	const start = () => {
		const id = `task_bench${(next++).toString(36).padStart(6, "0")}`;
		steps.set(id, 0);
		return [
			status(id, "queued", 0, { instruction: `Bench task ${next}: fetch a page and summarise what it says` }),
			status(id, "running", 1),
			run(id, { type: "RUN_STARTED", threadId: id, runId: `${id}:1`, model: "demo" }),
		];
	};
	const end = (id) => {
		const events = [
			run(id, {
				type: "RUN_FINISHED",
				threadId: id,
				runId: `${id}:1`,
				result: "done",
				outcome: { type: "success" },
				usage: [{ provider: "demo", model: "demo", inputTokens: 900, outputTokens: 100, totalTokens: 1000 }],
			}),
			status(id, "succeeded", 1, { usage: { input_tokens: 900, output_tokens: 100, total_tokens: 1000 } }),
		];
		steps.delete(id);
		return events;
	};
	return {
		/** Starts `count` tasks, in frames of 100 events' worth. */
		*warmUp(count) {
			for (let i = 0; i < count; i += 50) yield Array.from({ length: Math.min(50, count - i) }, start).flat();
		},
		tick() {
			tickNo++;
			const frame = [];
			const running = [...steps.keys()];
			running.forEach((id, i) => {
				if (i % 8 !== tickNo % 8) return;
				const call = `${id}:1:call_${tickNo}`;
				frame.push(
					run(id, { type: "TOOL_CALL_START", toolCallId: call, toolCallName: TOOLS[(i + tickNo) % TOOLS.length] }),
				);
				frame.push(run(id, { type: "TOOL_CALL_END", toolCallId: call }));
			});
			const churn = Math.max(1, Math.round(n / 100));
			for (const id of running.slice(0, churn)) frame.push(...end(id));
			for (let i = 0; i < churn; i++) frame.push(...start());
			return frame;
		},
		get seq() {
			return seq;
		},
	};
}

async function measureLevel(browser, url, token, n, log) {
	const context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
	const page = await context.newPage();
	const stream = summaryStream(n);
	let timer;
	let sent = 0;
	let sockets = 0;
	await page.routeWebSocket(/\/api\/ws/, (ws) => {
		// A second socket would mean the page gave up on this one: the figures would be wrong.
		if (++sockets > 1) throw new Error("the page opened a second socket");
		ws.onMessage((message) => {
			// Pings are answered (the client takes a silent socket for dead); this hub never has a gap to resume.
			const frame = JSON.parse(String(message));
			if (frame.type === "ping")
				ws.send(JSON.stringify([{ type: "pong", ...(frame.id ? { ref: frame.id } : {}), ts: Date.now() }]));
		});
		ws.send(
			JSON.stringify([
				{
					type: "session",
					session_id: "ses_bench",
					user_id: "agent",
					resumed: false,
					last_seq: 0,
					oldest_seq: 1,
					expires_at: Date.now() + 86_400_000,
				},
			]),
		);
		const warm = [...stream.warmUp(n)];
		for (const frame of warm) ws.send(JSON.stringify(frame));
		timer = setInterval(() => {
			if (n === 0) return;
			const frame = stream.tick();
			sent += frame.length;
			ws.send(JSON.stringify(frame));
		}, TICK_MS);
	});
	await page.goto(url);
	await page.getByLabel("API token").fill(token);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.locator(".conn[data-state=connected]").waitFor();
	await page.locator(".board-counts [data-count=running] strong").waitFor();
	const deadline = Date.now() + 30_000;
	while (Number(await page.locator(".board-counts [data-count=running] strong").textContent()) < n) {
		if (Date.now() > deadline) throw new Error(`the board never showed ${n} running`);
		await page.waitForTimeout(100);
	}
	await page.waitForTimeout(2_000);
	const sentBefore = sent;
	await page.evaluate(() => {
		const w = window;
		w.__frames = [];
		w.__long = 0;
		let last = 0;
		const tick = (t) => {
			if (last) w.__frames.push(t - last);
			last = t;
			if (!w.__stop) requestAnimationFrame(tick);
		};
		requestAnimationFrame(tick);
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) w.__long += entry.duration;
		}).observe({ type: "longtask" });
	});
	const cdp = await context.newCDPSession(page);
	const profile = process.env.BENCH_BOARD_PROFILE && n > 0;
	if (profile) {
		await cdp.send("Profiler.enable");
		await cdp.send("Profiler.start");
	}
	await page.waitForTimeout(MEASURE_MS);
	if (profile) log?.(topSelfTimes((await cdp.send("Profiler.stop")).profile));
	const { frames, long, rows } = await page.evaluate(() => {
		const w = window;
		w.__stop = true;
		return { frames: w.__frames, long: w.__long, rows: document.querySelectorAll(".board-row").length };
	});
	const events = sent - sentBefore;
	clearInterval(timer);
	await cdp.send("HeapProfiler.collectGarbage");
	const heap = await cdp.send("Runtime.getHeapUsage");
	const domNodes = await page.evaluate(() => document.getElementsByTagName("*").length);
	await context.close();
	const sorted = [...frames].sort((a, b) => a - b);
	const result = {
		n,
		frames: frames.length,
		p50: percentile(sorted, 50),
		p95: percentile(sorted, 95),
		max: sorted.at(-1) ?? 0,
		over50: frames.filter((f) => f > 50).length,
		longMs: long,
		heapMB: heap.usedSize / 1024 / 1024,
		rows,
		domNodes,
		eventsPerSec: (events / MEASURE_MS) * 1000,
	};
	log?.(`board ${n}: ${JSON.stringify(result)}`);
	return result;
}

/** The functions the page spent most of its own time in (BENCH_BOARD_PROFILE=1). */
function topSelfTimes(profile) {
	const self = new Map();
	const dt = profile.timeDeltas;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	profile.samples.forEach((id, i) => {
		const f = byId.get(id)?.callFrame;
		const key = `${f?.functionName || "(anonymous)"} ${String(f?.url).split("/").pop()}:${f?.lineNumber}`;
		self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
	});
	return [...self.entries()]
		.sort((a, b) => b[1] - a[1])
		.slice(0, 15)
		.map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`)
		.join("\n");
}

export async function runBoardBench({ log } = {}) {
	if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
	await buildWeb({ quiet: true });
	const adminToken = `bench_${randomBytes(24).toString("base64url")}`;
	const state = mkdtempSync(join(tmpdir(), "sparky-bench-board-"));
	const server = await startDevServer({ persistTo: state, adminToken, vars: { SPARKY_MODEL: "demo" } });
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ["--headless", "--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-sync"],
	});
	try {
		const res = await fetch(`${server.url}/api/users/agent/tokens`, {
			method: "POST",
			headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
			body: JSON.stringify({ name: "bench" }),
		});
		if (!res.ok) throw new Error(`agent token: ${res.status} ${await res.text()}`);
		const { token } = await res.json();
		const levels = (process.env.BENCH_BOARD_LEVELS ?? "100,1000").split(",").filter(Boolean).map(Number);
		const results = [];
		for (const n of [0, ...levels]) results.push(await measureLevel(browser, server.url, token, n, log));
		return results;
	} finally {
		await browser.close();
		await server.stop();
		rmSync(state, { recursive: true, force: true });
	}
}

export function boardReport(results) {
	const rows = results.map((r) => ({
		board: r.n === 0 ? "empty board" : `${r.n} running`,
		"events/s": fmt(r.eventsPerSec, 0),
		"frame p50 ms": fmt(r.p50, 1),
		"p95 ms": fmt(r.p95, 1),
		"max ms": fmt(r.max, 0),
		">50 ms": r.over50,
		"long tasks ms": fmt(r.longMs, 0),
		"heap MB": fmt(r.heapMB, 1),
		"rows in DOM": r.rows,
		"DOM nodes": r.domNodes,
	}));
	return `The agent's board in Chromium (interval between frames; 10 s per level)\n${table(rows)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	console.log(boardReport(await runBoardBench({ log: console.log })));
}
