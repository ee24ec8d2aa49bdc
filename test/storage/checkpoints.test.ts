import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	appendMessages,
	capMessage,
	countPause,
	loadCheckpoint,
	MESSAGE_ROW_CHARS,
} from "../../src/storage/checkpoints.ts";
import { insertDependencies } from "../../src/storage/dependencies.ts";
import { finishRun } from "../../src/storage/task-runs.ts";
import { newUser } from "../support/api.ts";
import { claimed, queuedTask } from "../support/tasks.ts";

describe("task checkpoints (D1)", () => {
	it("starts with only its policy, then keeps messages in order with the totals, in flight set with the call and cleared by the next write", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, {}, { approve: ["write_file"] });
		expect(await loadCheckpoint(env.DB, task.id)).toEqual({
			checkpoint: {
				steps: 0,
				inputTokens: 0,
				outputTokens: 0,
				runMs: 0,
				pauses: 0,
				inFlight: null,
				approve: ["write_file"],
				clientTools: [],
			},
			messages: [],
		});
		const call = { type: "tool-call" as const, toolCallId: "c1", toolName: "read_file", input: { path: "a.md" } };
		await appendMessages(
			env.DB,
			task.id,
			0,
			[{ runId: `${task.id}:1`, message: { role: "assistant", content: [call] } }],
			{ steps: 1, inputTokens: 10, outputTokens: 4, runMs: 50 },
			2,
			"c1",
		);
		expect((await loadCheckpoint(env.DB, task.id)).checkpoint.inFlight).toBe("c1");
		const result = {
			role: "tool" as const,
			content: [
				{
					type: "tool-result" as const,
					toolCallId: "c1",
					toolName: "read_file",
					output: { type: "text" as const, value: "hi" },
				},
			],
		};
		await appendMessages(
			env.DB,
			task.id,
			1,
			[{ runId: `${task.id}:2`, message: result }],
			{ steps: 1, inputTokens: 10, outputTokens: 4, runMs: 80 },
			4,
		);
		await countPause(env.DB, task.id, 5);
		const saved = await loadCheckpoint(env.DB, task.id);
		expect(saved.checkpoint).toEqual({
			steps: 1,
			inputTokens: 10,
			outputTokens: 4,
			runMs: 80,
			pauses: 1,
			inFlight: null,
			approve: ["write_file"],
			clientTools: [],
		});
		expect(saved.messages.map((m) => [m.runId, m.message.role])).toEqual([
			[`${task.id}:1`, "assistant"],
			[`${task.id}:2`, "tool"],
		]);
	});

	it("a run's last write goes with its status change and the read of what waits on it, only while the run holds the lease", async () => {
		const user = await newUser();
		const answer = { role: "assistant" as const, content: [{ type: "text" as const, text: "done" }] };
		const last = (runId: string) => ({
			fromIdx: 0,
			messages: [{ runId, message: answer }],
			totals: { steps: 1, inputTokens: 7, outputTokens: 3, runMs: 40 },
		});

		const held = await claimed(await queuedTask(user.id));
		const dependent = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, dependent.id, [held.row.id]);
		const finished = await finishRun(
			env.DB,
			held.row.id,
			held.owner,
			{ status: "succeeded", result: "done" },
			10,
			last("a"),
		);
		expect(finished?.row.status).toBe("succeeded");
		// What waits on it is read in the same round trip.
		expect(finished?.waiting?.map((t) => t.id)).toEqual([dependent.id]);
		const saved = await loadCheckpoint(env.DB, held.row.id);
		expect(saved.messages).toEqual([{ runId: "a", message: answer }]);
		expect(saved.checkpoint.steps).toBe(1);

		// A run that ends for a retry has nothing to settle.
		const retried = await claimed(await queuedTask(user.id));
		expect((await finishRun(env.DB, retried.row.id, retried.owner, { status: "queued" }, 10))?.waiting).toBeUndefined();

		// The sweep gave the task to another run: the old run's last write changes nothing.
		const lost = await claimed(await queuedTask(user.id));
		expect(await finishRun(env.DB, lost.row.id, "run_other", { status: "succeeded" }, 10, last("b"))).toBeNull();
		const untouched = await loadCheckpoint(env.DB, lost.row.id);
		expect(untouched.messages).toEqual([]);
		expect(untouched.checkpoint.steps).toBe(0);
	});

	it("cuts a huge tool result visibly instead of failing the row (D1 rows stop at 2 MB)", () => {
		const huge = "x".repeat(3 * MESSAGE_ROW_CHARS);
		const capped = capMessage({
			role: "tool",
			content: [
				{ type: "tool-result", toolCallId: "c", toolName: "http_fetch", output: { type: "text", value: huge } },
			],
		});
		const text = JSON.stringify(capped);
		expect(text.length).toBeLessThan(MESSAGE_ROW_CHARS);
		expect(text).toContain("truncated for storage");
		expect(text).toContain(`${JSON.stringify({ type: "text", value: huge }).length} characters`);
		// Small results and other messages are kept as they are.
		const small = { role: "assistant" as const, content: "ok" };
		expect(capMessage(small)).toBe(small);
	});
});

describe("a task's policy is written with the task (issue #22)", () => {
	it("exists from the insert on, and an insert that made no row (cap, duplicate) writes none", async () => {
		const { insertTask } = await import("../../src/storage/tasks.ts");
		const { initialCheckpoint } = await import("../../src/storage/checkpoints.ts");
		const user = await newUser();
		const task = await queuedTask(user.id, {}, { approve: ["delete_file"] });
		// One batch: there is no moment where the row exists and its policy doesn't.
		expect((await loadCheckpoint(env.DB, task.id)).checkpoint.approve).toEqual(["delete_file"]);
		const initial = initialCheckpoint({ approve: ["write_file"] });
		const row = (id: string) => ({ ...task, id, created_at: Date.now(), active_fingerprint: null });
		// Refused by the cap (0 open tasks allowed): no task, no checkpoint.
		const capped = await insertTask(env.DB, row("task_capped0001"), 0, initial);
		expect(capped.kind).toBe("capped");
		// The same id again (an insert that conflicts): the first task's policy is untouched.
		const again = await insertTask(env.DB, { ...task, created_at: task.created_at + 1 }, undefined, initial);
		expect(again.kind).not.toBe("created");
		expect((await loadCheckpoint(env.DB, task.id)).checkpoint.approve).toEqual(["delete_file"]);
		const orphans = await env.DB.prepare("SELECT count(*) AS n FROM task_checkpoints WHERE task_id = ?")
			.bind("task_capped0001")
			.first<{ n: number }>();
		expect(orphans?.n).toBe(0);
	});
});
