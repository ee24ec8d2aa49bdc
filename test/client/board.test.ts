import { describe, expect, it } from "vitest";
import { Board } from "../../src/client/board.ts";
import { type ClientEvent, parseHubEvent, type Task } from "../../src/protocol/index.ts";
import { apiTask } from "../support/task-fixture.ts";

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const MIN = 60_000;

/** A summary stream as the agent hub sends it, each event checked by the client's own parser. */
function stream() {
	let seq = 0;
	const parse = (raw: Record<string, unknown>): ClientEvent => {
		const parsed = parseHubEvent({ seq: ++seq, ...raw });
		if (!parsed.ok || parsed.event.type === "unknown") throw new Error(`bad event ${JSON.stringify(raw)}`);
		return parsed.event;
	};
	const status = (task: string, st: string, attempt: number, ts: number, extra: Record<string, unknown> = {}) =>
		parse({
			id: `${task}:status:${st}:${attempt}`,
			ts,
			type: "CUSTOM",
			task_id: task,
			...(attempt > 0 ? { attempt } : {}),
			name: "sparky.task.status",
			value: { task_id: task, kind: "task", status: st, attempt, user_id: "alice", ...extra },
		});
	let n = 0;
	const run = (task: string, attempt: number, ts: number, fields: Record<string, unknown>) =>
		parse({ id: `${task}:${attempt}:${++n}`, ts, task_id: task, attempt, ...fields });
	return {
		status,
		started: (task: string, attempt: number, ts: number) =>
			run(task, attempt, ts, { type: "RUN_STARTED", threadId: task, runId: `${task}:${attempt}`, model: "demo" }),
		tool: (task: string, attempt: number, ts: number, name: string, call = `${task}:${attempt}:c${n}`) =>
			run(task, attempt, ts, { type: "TOOL_CALL_START", toolCallId: call, toolCallName: name }),
		toolEnd: (task: string, attempt: number, ts: number, call: string) =>
			run(task, attempt, ts, { type: "TOOL_CALL_END", toolCallId: call }),
		toolEnded: (task: string, attempt: number, ts: number, call: string) =>
			parse({
				id: `${task}:${attempt}:${++n}:ended`,
				ts,
				type: "CUSTOM",
				task_id: task,
				attempt,
				name: "sparky.tool.ended",
				value: { toolCallId: call },
			}),
		toolResult: (task: string, attempt: number, ts: number, call: string) =>
			run(task, attempt, ts, { type: "TOOL_CALL_RESULT", messageId: `${call}:r`, toolCallId: call, content: "ok" }),
		finished: (task: string, attempt: number, ts: number, tokens: number) =>
			run(task, attempt, ts, {
				type: "RUN_FINISHED",
				threadId: task,
				runId: `${task}:${attempt}`,
				result: "done",
				outcome: { type: "success" },
				usage: [{ provider: "demo", model: "demo", inputTokens: tokens, outputTokens: 0, totalTokens: tokens }],
			}),
		usage: (task: string, attempt: number, ts: number, step: number, tokens: number, taskCost: number | null) =>
			parse({
				id: `${task}:${attempt}:${++n}:usage`,
				ts,
				type: "CUSTOM",
				task_id: task,
				attempt,
				name: "sparky.usage",
				value: {
					step,
					model: "openai:gpt-5-mini",
					input_tokens: tokens - 10,
					output_tokens: 10,
					cached_input_tokens: 0,
					reasoning_tokens: 0,
					cost_usd: taskCost,
					task_cost_usd: taskCost,
					ms: 900,
				},
			}),
		approval: (task: string, st: "pending" | "approved", ts: number) =>
			parse({
				id: `apr_${task}:${st === "pending" ? "requested" : st}`,
				ts,
				type: "CUSTOM",
				task_id: task,
				name: st === "pending" ? "sparky.approval.requested" : "sparky.approval.decided",
				value: {
					approval: {
						id: `apr_${task}`,
						task_id: task,
						chat_id: null,
						user_id: "bob",
						tool_call_id: "c1",
						tool: "delete_file",
						input: {},
						status: st,
						requested_at: ts,
						expires_at: ts + 3_600_000,
						decided_at: null,
						decided_by: null,
						reason: null,
					},
				},
			}),
	};
}

/** One task's run: queued, running, a tool call, finished, succeeded. */
function lifecycle(s: ReturnType<typeof stream>, task: string, at: number): ClientEvent[] {
	return [
		s.status(task, "queued", 0, at, { instruction: `do ${task}` }),
		s.status(task, "running", 1, at + 1000),
		s.started(task, 1, at + 1001),
		s.tool(task, 1, at + 2000, "http_fetch", `${task}:1:call_a`),
		s.toolEnd(task, 1, at + 3000, `${task}:1:call_a`),
		s.finished(task, 1, at + 4000, 160),
		s.status(task, "succeeded", 1, at + 4001, { usage: { input_tokens: 120, output_tokens: 40, total_tokens: 160 } }),
	];
}

function task(id: string, status: Task["status"], fields: Partial<Task> = {}): Task {
	return apiTask(id, {
		status,
		created_at: T0,
		started_at: status === "running" ? T0 : null,
		...fields,
	});
}

describe("Board", () => {
	it("follows a task through its run: creator, instruction, tool and since when, then its outcome", () => {
		const s = stream();
		const board = new Board();
		const events = lifecycle(s, "task_a", T0);
		for (const e of events.slice(0, 4)) board.apply(e);
		let row = board.row("task_a");
		expect(row).toMatchObject({ status: "running", userId: "alice", instruction: "do task_a", attempt: 1, step: 1 });
		expect(row?.tool).toEqual({ name: "http_fetch", callId: "task_a:1:call_a", since: T0 + 2000 });
		expect(board.view(T0 + 2500).running.map((r) => r.id)).toEqual(["task_a"]);
		// TOOL_CALL_END ends the call's arguments, not its work (the summary has no result): still calling.
		board.apply(events[4] as ClientEvent);
		expect(board.row("task_a")?.tool?.name).toBe("http_fetch");
		for (const e of events.slice(5)) board.apply(e);
		row = board.row("task_a");
		expect(row).toMatchObject({ status: "succeeded", tokens: 160, endedAt: T0 + 4001, startedAt: T0 + 1000 });
		expect(row?.tool).toBeUndefined();
		const view = board.view(T0 + 5000);
		expect(view.running).toEqual([]);
		expect(view.ended.map((r) => r.id)).toEqual(["task_a"]);
		expect(view.tools).toEqual(["http_fetch"]);
	});

	it("a call's end (sparky.tool.ended on the agent's hub, the result on the creator's) leaves it thinking", () => {
		const s = stream();
		const board = new Board();
		for (const e of [
			s.status("task_t", "running", 1, T0),
			s.started("task_t", 1, T0 + 1),
			s.tool("task_t", 1, T0 + 2, "http_fetch", "task_t:1:call_1"),
		])
			board.apply(e);
		// The end of another call (an earlier one's late news) changes nothing.
		expect(board.apply(s.toolEnded("task_t", 1, T0 + 3, "task_t:1:call_0"))).toBe(false);
		expect(board.row("task_t")?.tool?.name).toBe("http_fetch");
		expect(board.apply(s.toolEnded("task_t", 1, T0 + 4, "task_t:1:call_1"))).toBe(true);
		expect(board.row("task_t")?.tool).toBeUndefined();
		expect(board.row("task_t")?.lastTool).toBe("http_fetch");
		// On a hub with the whole stream, the result itself ends the call.
		board.apply(s.tool("task_t", 1, T0 + 5, "read_file", "task_t:1:call_2"));
		expect(board.row("task_t")?.tool?.name).toBe("read_file");
		board.apply(s.toolResult("task_t", 1, T0 + 6, "task_t:1:call_2"));
		expect(board.row("task_t")?.tool).toBeUndefined();
		expect(board.row("task_t")?.status).toBe("running");
	});

	it("is idempotent: a replay of every event, twice, changes nothing", () => {
		const s = stream();
		const board = new Board();
		const events = [...lifecycle(s, "task_a", T0), ...lifecycle(s, "task_b", T0 + 500)];
		for (const e of events) board.apply(e);
		const once = JSON.stringify(board.view(T0 + 9000));
		const series = JSON.stringify(board.series(T0 + 9000));
		const version = board.version;
		for (const e of [...events, ...events]) expect(board.apply(e)).toBe(false);
		expect(JSON.stringify(board.view(T0 + 9000))).toBe(once);
		expect(JSON.stringify(board.series(T0 + 9000))).toBe(series);
		expect(board.version).toBe(version);
	});

	it("never goes back: late queued after running, and events after the end, leave it as it is", () => {
		const s = stream();
		const board = new Board();
		const [queued, running, started, tool, , , succeeded] = lifecycle(s, "task_a", T0);
		// The forwarded `queued` can arrive after the run's `running` (docs/architecture.md).
		for (const e of [running, started, queued]) board.apply(e as ClientEvent);
		expect(board.row("task_a")?.status).toBe("running");
		expect(board.row("task_a")?.instruction).toBe("do task_a");
		board.apply(succeeded as ClientEvent);
		board.apply(tool as ClientEvent);
		expect(board.row("task_a")?.status).toBe("succeeded");
		expect(board.row("task_a")?.tool).toBeUndefined();
	});

	it("a task that ended while the socket was down shows its end after the replay (snapshot first, then replay)", () => {
		const s = stream();
		const board = new Board();
		const events = lifecycle(s, "task_a", T0);
		for (const e of events.slice(0, 4)) board.apply(e);
		// The socket drops; the replay since the last seq brings the rest, overlapping what was seen.
		for (const e of events.slice(2)) board.apply(e);
		expect(board.row("task_a")?.status).toBe("succeeded");
		expect(board.view(T0 + 5000).running).toEqual([]);

		// A fresh page: a snapshot that says running, then a replay that says it ended.
		const fresh = new Board();
		fresh.load({ tasks: [task("task_a", "running", { updated_at: T0 + 1000 })], at: T0 + 2500 });
		expect(fresh.view(T0 + 2500).running.map((r) => r.id)).toEqual(["task_a"]);
		for (const e of events) fresh.apply(e);
		expect(fresh.row("task_a")?.status).toBe("succeeded");
		// And the other way: the end already in the snapshot, then the old events replayed.
		const late = new Board();
		late.load({
			tasks: [task("task_a", "succeeded", { finished_at: T0 + 4001, updated_at: T0 + 4001 })],
			at: T0 + 9000,
		});
		for (const e of events) late.apply(e);
		expect(late.row("task_a")?.status).toBe("succeeded");
		expect(late.view(T0 + 9000).running).toEqual([]);
	});

	it("a complete snapshot drops an active row it no longer lists (its end was missed)", () => {
		const s = stream();
		const board = new Board();
		for (const e of lifecycle(s, "task_a", T0).slice(0, 3)) board.apply(e);
		board.load({ tasks: [task("task_b", "queued")], at: T0 + 60_000, complete: true });
		expect(board.row("task_a")).toBeUndefined();
		expect(board.view(T0 + 60_000).queued.map((r) => r.id)).toEqual(["task_b"]);
	});

	it("puts approvals on top with who may decide, and takes them off once decided", () => {
		const s = stream();
		const board = new Board();
		for (const e of lifecycle(s, "task_a", T0).slice(0, 3)) board.apply(e);
		board.apply(s.approval("task_a", "pending", T0 + 1500));
		board.apply(s.status("task_a", "awaiting_approval", 1, T0 + 1501));
		let view = board.view(T0 + 2000);
		expect(view.approvals.map((r) => r.id)).toEqual(["task_a"]);
		expect(view.approvals[0]?.approvals).toEqual([
			{
				id: "apr_task_a",
				tool: "delete_file",
				decider: "bob",
				requestedAt: T0 + 1500,
				expiresAt: T0 + 1500 + 3_600_000,
			},
		]);
		expect(view.counts).toMatchObject({ approval: 1, running: 0 });
		board.apply(s.approval("task_a", "approved", T0 + 2000));
		board.apply(s.status("task_a", "queued", 1, T0 + 2001));
		view = board.view(T0 + 2500);
		expect(view.approvals).toEqual([]);
		expect(view.queued.map((r) => r.id)).toEqual(["task_a"]);
	});

	it("counts running, queued, waiting and failed in the last hour; a per-minute series of starts and ends", () => {
		const s = stream();
		const board = new Board({ endedKeepMs: 2 * 60 * MIN });
		for (const e of lifecycle(s, "task_a", T0)) board.apply(e);
		board.apply(s.status("task_f", "running", 1, T0 + 2 * MIN));
		board.apply(s.status("task_f", "failed", 1, T0 + 3 * MIN, { error: "boom" }));
		board.apply(s.status("task_q", "queued", 0, T0 + 3 * MIN));
		board.apply(s.status("task_w", "waiting", 0, T0 + 3 * MIN));
		board.apply(s.status("task_r", "running", 1, T0 + 4 * MIN));
		const now = T0 + 5 * MIN;
		expect(board.counts(now)).toEqual({ running: 1, queued: 1, waiting: 1, approval: 0, failedLastHour: 1 });
		const series = board.series(now);
		expect(series).toHaveLength(60);
		expect(series.at(-1)?.minute).toBe(T0 + 5 * MIN);
		const at = (m: number) => series.find((p) => p.minute === T0 + m * MIN);
		expect(at(0)).toMatchObject({ started: 1, ended: 1 });
		expect(at(2)).toMatchObject({ started: 1, ended: 0 });
		expect(at(3)).toMatchObject({ started: 0, ended: 1 });
		expect(at(4)).toMatchObject({ started: 1, ended: 0 });
		// An hour later the failure has left the count and the chart.
		expect(board.counts(T0 + 63 * MIN).failedLastHour).toBe(0);
		expect(board.series(T0 + 63 * MIN).reduce((sum, p) => sum + p.started + p.ended, 0)).toBe(1);
	});

	it("keeps memory bounded: ended rows leave after a while or past the cap, and don't come back", () => {
		const s = stream();
		const board = new Board({ endedKeepMs: 10 * MIN, endedMax: 50, seenMax: 500 });
		const all: ClientEvent[] = [];
		for (let i = 0; i < 200; i++) {
			const events = lifecycle(s, `task_${i}`, T0 + i * 1000);
			all.push(...events);
			for (const e of events) board.apply(e);
		}
		board.prune(T0 + 200_000);
		expect(board.size).toBe(50);
		expect(board.view(T0 + 200_000).ended[0]?.id).toBe("task_199");
		board.prune(T0 + 200_000 + 11 * MIN);
		expect(board.size).toBe(0);
		// A late replay of an early task's events (its ids long forgotten) doesn't resurrect it.
		for (const e of all.slice(0, 7)) board.apply(e);
		expect(board.size).toBe(0);
	});

	it("filters by creator, status and tool", () => {
		const s = stream();
		const board = new Board();
		board.apply(s.status("task_a", "running", 1, T0));
		board.apply(s.tool("task_a", 1, T0 + 1, "read_file"));
		board.apply(
			s.status("task_b", "running", 1, T0, {
				user_id: "bob",
			}),
		);
		board.apply(s.tool("task_b", 1, T0 + 1, "http_fetch"));
		board.apply(s.status("task_c", "queued", 0, T0, { user_id: "bob" }));
		const ids = (f: Parameters<Board["view"]>[1]) => {
			const v = board.view(T0 + 10, f);
			return [...v.approvals, ...v.running, ...v.queued, ...v.ended].map((r) => r.id);
		};
		expect(ids({ creator: "bob" })).toEqual(["task_b", "task_c"]);
		expect(ids({ status: "queued" })).toEqual(["task_c"]);
		expect(ids({ tool: "read_file" })).toEqual(["task_a"]);
		expect(ids({ creator: "bob", status: "running" })).toEqual(["task_b"]);
		expect(board.view(T0).creators).toEqual(["alice", "bob"]);
	});

	it("a retried attempt starts its steps again; a late event of the earlier attempt is ignored", () => {
		const s = stream();
		const board = new Board();
		board.apply(s.status("task_a", "running", 1, T0));
		board.apply(s.tool("task_a", 1, T0 + 1, "read_file", "task_a:1:x"));
		board.apply(s.status("task_a", "queued", 1, T0 + 2, { error: "retrying" }));
		board.apply(s.status("task_a", "running", 2, T0 + 3));
		board.apply(s.started("task_a", 2, T0 + 4));
		board.apply(s.tool("task_a", 1, T0 + 5, "late_tool"));
		expect(board.row("task_a")).toMatchObject({ attempt: 2, step: 0, status: "running", tool: undefined });
	});

	it("counts tokens and cost as each model call ends, without counting them again at the run's end or after a snapshot", () => {
		const s = stream();
		const board = new Board();
		for (const e of [s.status("t1", "queued", 0, T0), s.status("t1", "running", 1, T0 + 1), s.started("t1", 1, T0 + 2)])
			board.apply(e);
		board.apply(s.usage("t1", 1, T0 + 1000, 1, 100, 0.0012));
		expect(board.row("t1")).toMatchObject({ tokens: 100, costUsd: 0.0012 });
		board.apply(s.usage("t1", 1, T0 + 2000, 2, 60, 0.002));
		expect(board.row("t1")).toMatchObject({ tokens: 160, costUsd: 0.002 });
		board.apply(s.finished("t1", 1, T0 + 3000, 160));
		expect(board.row("t1")?.tokens).toBe(160);

		// A page that loads a snapshot taken after a call, then hears that call again in the replay.
		const late = new Board();
		late.load({
			tasks: [
				task("t2", "running", { usage: { input_tokens: 90, output_tokens: 10, total_tokens: 100, cost_usd: 0.001 } }),
			],
			at: T0 + 5000,
		});
		expect(late.row("t2")).toMatchObject({ tokens: 100, costUsd: 0.001 });
		late.apply(s.usage("t2", 1, T0 + 4000, 1, 100, 0.001));
		expect(late.row("t2")?.tokens).toBe(100);
		late.apply(s.usage("t2", 1, T0 + 6000, 2, 50, null));
		expect(late.row("t2")).toMatchObject({ tokens: 150, costUsd: null });
	});
});
