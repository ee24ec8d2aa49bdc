import { describe, expect, it } from "vitest";
import { Timeline, type TimelineItem } from "../../src/client/timeline.ts";
import type { Approval, ClientEvent, ModelCallUsage } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";

let seq = 0;
const ev = (fields: Record<string, unknown>): ClientEvent => {
	seq++;
	return clientEvent({ seq, id: `u${seq}`, ts: 7000 + seq, ...fields });
};

const usage = (over: Partial<ModelCallUsage> = {}): ModelCallUsage => ({
	step: 1,
	model: "demo",
	input_tokens: 1000,
	output_tokens: 200,
	cached_input_tokens: 0,
	reasoning_tokens: 0,
	cost_usd: 0.0014,
	task_cost_usd: 0.0014,
	ms: 120,
	...over,
});

/** A `sparky.usage` event of `task`'s attempt, with the run's own id (`<task>:<attempt>:<n>`). */
const used = (task: string, attempt: number, n: number, value: ModelCallUsage, chat?: string) =>
	ev({
		type: "CUSTOM",
		name: "sparky.usage",
		id: `${task}:${attempt}:${n}`,
		task_id: task,
		attempt,
		...(chat ? { chat_id: chat } : {}),
		value,
	});

/** Attempt 1 of a task: two model calls around a tool call, then its end. */
function twoStepRun(task = "task_u", cost2: number | null = 0.0021): ClientEvent[] {
	const t = { task_id: task, attempt: 1 };
	return [
		ev({ type: "RUN_STARTED", ...t, id: `${task}:1:1`, threadId: task, runId: `${task}:1`, model: "demo" }),
		ev({ type: "TOOL_CALL_START", ...t, id: `${task}:1:2`, toolCallId: `${task}:1:c1`, toolCallName: "get_time" }),
		ev({ type: "TOOL_CALL_END", ...t, id: `${task}:1:3`, toolCallId: `${task}:1:c1` }),
		used(task, 1, 4, usage()),
		ev({
			type: "TOOL_CALL_RESULT",
			...t,
			id: `${task}:1:5`,
			toolCallId: `${task}:1:c1`,
			messageId: "r1",
			content: '{"now":"x"}',
		}),
		ev({ type: "TEXT_MESSAGE_START", ...t, id: `${task}:1:6`, messageId: `${task}:m1`, role: "assistant" }),
		ev({ type: "TEXT_MESSAGE_CONTENT", ...t, id: `${task}:1:7`, messageId: `${task}:m1`, delta: "It is x." }),
		ev({ type: "TEXT_MESSAGE_END", ...t, id: `${task}:1:8`, messageId: `${task}:m1` }),
		used(
			task,
			1,
			9,
			usage({
				step: 2,
				input_tokens: 1500,
				output_tokens: 300,
				cached_input_tokens: 800,
				cost_usd: cost2,
				task_cost_usd: cost2 === null ? null : 0.0014 + cost2,
			}),
		),
		ev({
			type: "RUN_FINISHED",
			...t,
			id: `${task}:1:10`,
			threadId: task,
			runId: `${task}:1`,
			outcome: { type: "success" },
			usage: [{ provider: "demo", model: "demo", inputTokens: 2500, outputTokens: 500, totalTokens: 3000 }],
		}),
	];
}

const kinds = (items: TimelineItem[]) => items.map((i) => `${i.kind}:${i.id}`);
const run = (items: TimelineItem[]) => items.find((i) => i.kind === "run");

describe("Timeline: a model call's tokens and cost (sparky.usage)", () => {
	it("puts a line where each model call ended, with its tokens, cost and time", () => {
		const t = new Timeline();
		t.apply(twoStepRun());
		const items = t.items("task:task_u");
		expect(kinds(items)).toEqual([
			"run:task_u:1",
			"tool:task_u:1:c1",
			"usage:task_u:call:1",
			"message:task_u:m1",
			"usage:task_u:call:2",
		]);
		expect(items[2]).toMatchObject({
			kind: "usage",
			step: 1,
			runId: "task_u:1",
			model: "demo",
			inputTokens: 1000,
			outputTokens: 200,
			costUsd: 0.0014,
			ms: 120,
			turnId: "task_u",
		});
		expect(items[4]).toMatchObject({ step: 2, cachedInputTokens: 800, costUsd: 0.0021 });
		expect(items[4]?.kind === "usage" && items[4].taskCostUsd).toBeCloseTo(0.0035, 10);
		expect(t.unknownEvents).toBe(0);
	});

	it("gives the run its cost (the sum of its calls) and the task its total so far", () => {
		const t = new Timeline();
		t.apply(twoStepRun());
		const line = run(t.items("task:task_u"));
		expect(line).toMatchObject({ kind: "run", calls: 2, usage: { inputTokens: 2500, outputTokens: 500 } });
		expect(line?.kind === "run" && line.costUsd).toBeCloseTo(0.0035, 10);
		expect(t.taskCost("task_u")).toBeCloseTo(0.0035, 10);
		expect(t.taskCost("task_other")).toBeUndefined();
	});

	it("counts tokens from the calls while the run goes on; its end's own figure wins", () => {
		const t = new Timeline();
		const events = twoStepRun("task_live");
		t.apply(events.slice(0, 4));
		expect(run(t.items("task:task_live"))).toMatchObject({
			state: "running",
			calls: 1,
			usage: { inputTokens: 1000, outputTokens: 200 },
			costUsd: 0.0014,
		});
		t.apply(events.slice(4));
		expect(run(t.items("task:task_live"))).toMatchObject({ usage: { inputTokens: 2500, outputTokens: 500 } });
	});

	it("never prices a run or a task whose call had no price", () => {
		const t = new Timeline();
		t.apply(twoStepRun("task_np", null));
		const items = t.items("task:task_np");
		expect(items.filter((i) => i.kind === "usage").map((i) => i.kind === "usage" && i.costUsd)).toEqual([0.0014, null]);
		expect(run(items)).toMatchObject({ costUsd: null });
		expect(t.taskCost("task_np")).toBeNull();
	});

	it("is the same when the calls arrive before the rest of the run, and applied twice", () => {
		const events = twoStepRun("task_o");
		const a = new Timeline();
		a.apply(events);
		const b = new Timeline();
		const calls = events.filter((e) => e.type === "CUSTOM");
		expect(calls).toHaveLength(2);
		b.apply([...calls].reverse());
		b.apply(events);
		b.apply(events);
		expect(b.items("task:task_o")).toEqual(a.items("task:task_o"));
		expect(b.taskCost("task_o")).toBe(a.taskCost("task_o"));
	});

	it("keeps the latest call's task total even when an older call arrives last", () => {
		const t = new Timeline();
		t.apply([
			used("task_late", 2, 3, usage({ step: 3, task_cost_usd: 0.009 })),
			used("task_late", 1, 4, usage({ step: 1, task_cost_usd: 0.002 })),
		]);
		expect(t.taskCost("task_late")).toBe(0.009);
	});

	it("once a call had no price, the task's total has none, whatever the order", () => {
		const t = new Timeline();
		t.apply([
			used("task_mix", 1, 2, usage({ step: 1, task_cost_usd: 0.002 })),
			used("task_mix", 1, 3, usage({ step: 2, cost_usd: null, task_cost_usd: null })),
			used("task_mix", 1, 4, usage({ step: 3, task_cost_usd: 0.005 })),
		]);
		expect(t.taskCost("task_mix")).toBeNull();
	});

	it("gives each of a turn's summary calls (step 0) a line of its own, and bills them with the run", () => {
		const t = new Timeline();
		const chat = { chat_id: "chat_s", task_id: "turn_s", attempt: 1 };
		t.apply([
			ev({ type: "RUN_STARTED", ...chat, id: "turn_s:1:1", threadId: "chat_s", runId: "turn_s:1" }),
			ev({
				type: "CUSTOM",
				name: "sparky.usage",
				...chat,
				id: "turn_s:1:2",
				value: usage({ step: 0, cost_usd: 0.001 }),
			}),
			ev({
				type: "CUSTOM",
				name: "sparky.usage",
				...chat,
				id: "turn_s:1:3",
				value: usage({ step: 0, cost_usd: 0.002 }),
			}),
			ev({
				type: "CUSTOM",
				name: "sparky.usage",
				...chat,
				id: "turn_s:1:4",
				value: usage({ step: 1, cost_usd: 0.004 }),
			}),
		]);
		expect(kinds(t.items("chat:chat_s"))).toEqual([
			"run:turn_s:1",
			"usage:turn_s:call:0:turn_s:1:2",
			"usage:turn_s:call:0:turn_s:1:3",
			"usage:turn_s:call:1",
		]);
		const line = run(t.items("chat:chat_s"));
		expect(line?.kind === "run" && [line.calls, line.costUsd]).toEqual([3, 0.007]);
	});

	it("belongs to its attempt: a retry's calls are not the first run's", () => {
		const t = new Timeline();
		const s = { threadId: "task_r" };
		t.apply([
			ev({ type: "RUN_STARTED", task_id: "task_r", attempt: 1, id: "task_r:1:1", runId: "task_r:1", ...s }),
			used("task_r", 1, 2, usage({ step: 1, cost_usd: 0.001 })),
			ev({ type: "RUN_ERROR", task_id: "task_r", attempt: 1, id: "task_r:1:3", message: "boom", code: "retrying" }),
			ev({ type: "RUN_STARTED", task_id: "task_r", attempt: 2, id: "task_r:2:1", runId: "task_r:2", ...s }),
			used("task_r", 2, 2, usage({ step: 2, cost_usd: 0.004 })),
		]);
		const runs = t.items("task:task_r").filter((i) => i.kind === "run");
		expect(runs.map((r) => r.kind === "run" && [r.id, r.calls, r.costUsd])).toEqual([
			["task_r:1", 1, 0.001],
			["task_r:2", 1, 0.004],
		]);
	});

	it("puts a call whose event id isn't the run's after what the turn shows so far", () => {
		const t = new Timeline();
		const chat = { chat_id: "chat_u", task_id: "turn_u", attempt: 1 };
		t.apply([
			ev({ type: "RUN_STARTED", ...chat, id: "turn_u:1:1", threadId: "chat_u", runId: "turn_u:1" }),
			ev({ type: "TEXT_MESSAGE_START", ...chat, id: "turn_u:1:2", messageId: "turn_u:m", role: "assistant" }),
			ev({ type: "CUSTOM", name: "sparky.usage", ...chat, id: "usage:turn_u:1", value: usage() }),
		]);
		expect(kinds(t.items("chat:chat_u"))).toEqual(["run:turn_u:1", "message:turn_u:m", "usage:turn_u:call:1"]);
	});
});

describe("Timeline: budget approvals (kind budget)", () => {
	const approval = (over: Partial<Approval> = {}): Approval => ({
		id: "apr_b",
		task_id: "task_b",
		chat_id: null,
		user_id: "u1",
		tool_call_id: "budget:task_b:3",
		tool: "budget",
		input: { spent_usd: 0.48, budget_usd: 0.5, more_usd: 0.5, estimate_usd: 0.03 },
		status: "pending",
		requested_at: 7100,
		expires_at: 7100 + 3_600_000,
		decided_at: null,
		decided_by: null,
		reason: null,
		kind: "budget",
		...over,
	});
	const paused = (): ClientEvent[] => {
		const t = { task_id: "task_b", attempt: 1 };
		return [
			ev({ type: "RUN_STARTED", ...t, id: "task_b:1:1", threadId: "task_b", runId: "task_b:1", model: "demo" }),
			used("task_b", 1, 2, usage({ cost_usd: 0.48, task_cost_usd: 0.48 })),
			ev({
				type: "CUSTOM",
				...t,
				id: "apr_b:requested",
				name: "sparky.approval.requested",
				value: { approval: approval() },
			}),
		];
	};

	it("waits on the task's run (no tool call goes with it), asking in money", () => {
		const t = new Timeline();
		t.apply(paused());
		const line = run(t.items("task:task_b"));
		expect(line?.kind === "run" && line.approvals?.map((a) => [a.id, a.kind, a.tool, a.status])).toEqual([
			["apr_b", "budget", "budget", "pending"],
		]);
		expect(t.pendingApprovals({ taskId: "task_b" }).map((a) => a.kind)).toEqual(["budget"]);
	});

	it("knows a budget interrupt by itself, then the API's approval fills it in", () => {
		const t = new Timeline();
		const [start] = paused();
		if (!start) throw new Error("fixture");
		t.apply([
			start,
			ev({
				type: "RUN_FINISHED",
				task_id: "task_b",
				attempt: 1,
				id: "task_b:1:4",
				threadId: "task_b",
				runId: "task_b:1",
				outcome: {
					type: "interrupt",
					interrupts: [
						{ id: "apr_b", reason: "budget", toolCallId: "budget:task_b:3", message: "Spent $0.48 of $0.50" },
					],
				},
			}),
		]);
		let line = run(t.items("task:task_b"));
		expect(line).toMatchObject({ state: "awaiting_approval" });
		expect(line?.kind === "run" && line.approvals?.[0]).toMatchObject({
			id: "apr_b",
			kind: "budget",
			status: "pending",
		});
		t.applyApprovals([approval({ status: "approved", decided_at: 7200, decided_by: "u1" })]);
		line = run(t.items("task:task_b"));
		expect(line).toMatchObject({ state: "paused" });
		expect(line?.kind === "run" && line.approvals?.[0]).toMatchObject({
			kind: "budget",
			status: "approved",
			input: { more_usd: 0.5 },
		});
	});

	it("reads an approval without a kind (a server before #26) as a tool call's", () => {
		const t = new Timeline();
		const { kind: _, ...old } = approval({ id: "apr_t", tool: "delete_file", tool_call_id: "task_b:1:9" });
		t.apply(paused().slice(0, 1));
		t.applyApprovals([old]);
		const line = run(t.items("task:task_b"));
		expect(line?.kind === "run" && line.approvals?.map((a) => a.kind)).toEqual(["tool"]);
	});
});
