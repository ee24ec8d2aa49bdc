import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import type { WireEvent } from "../../src/protocol/index.ts";
import { Run } from "../../src/runner/run.ts";
import { runClaimedTask, runnerRelay } from "../../src/runner/run-task.ts";
import { loadCheckpoint } from "../../src/storage/checkpoints.ts";
import { newUser } from "../support/api.ts";
import { claimed, deliver, queuedTask, reload } from "../support/tasks.ts";

const statusOf = (e: WireEvent) => (e.type === "CUSTOM" ? (e.value as { status?: string }).status : undefined);

describe("a run, step by step", () => {
	it("claims once: a second claim of the same task gets no run", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const relay = runnerRelay(env);
		const run = await Run.claim(env, task.id, { relay });
		expect(run).toBeInstanceOf(Run);
		expect(await Run.claim(env, task.id, { relay })).toBeUndefined();
		expect(await run?.execute()).toEqual({ kind: "done", status: "succeeded" });
		await relay.close();
		expect(await reload(task.id)).toMatchObject({ status: "succeeded", attempts: 1 });
	});

	it("its events leave in the order of its steps, numbered one after another", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { instruction: "List files in the workspace and summarise README.md" });
		expect((await deliver(task.id)).explicitAcks).toHaveLength(1);
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		const own = events.filter((e) => e.id.startsWith(`${task.id}:1:`));
		// `<task>:<attempt>:<n>`, n counting up from 1 in the order the events were stored (the
		// relay may merge a message's deltas into the first one's id, so some n never arrive).
		const ns = own.map((e) => Number(e.id.split(":").at(-1)));
		expect(ns[0]).toBe(1);
		expect(ns).toEqual([...ns].sort((a, b) => a - b));
		expect(new Set(ns).size).toBe(ns.length);
		expect(own[0]?.type).toBe("RUN_STARTED");
		expect(own.at(-1)?.type).toBe("RUN_FINISHED");
		// The status changes frame the run: running before its first event, succeeded after its last.
		const at = (id: string | undefined) => events.findIndex((e) => e.id === id);
		const running = events.findIndex((e) => statusOf(e) === "running");
		const succeeded = events.findIndex((e) => statusOf(e) === "succeeded");
		expect(running).toBeLessThan(at(own[0]?.id));
		expect(succeeded).toBeGreaterThan(at(own.at(-1)?.id));
		// Every call the model made ran, and its result followed its start.
		const starts = own.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallId);
		const results = own.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => e.toolCallId);
		expect(starts.length).toBeGreaterThan(0);
		expect(results).toEqual(starts);
	});

	it("with no model to run, the task fails saying what to set, and nothing is checkpointed", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const held = await claimed(task);
		const error = "no model configured: set SPARKY_MODEL";
		const result = await runClaimedTask(env, held.row, held.owner, { model: { ok: false, error } });
		expect(result).toEqual({ kind: "done", status: "failed" });
		expect(await reload(task.id)).toMatchObject({ status: "failed", error, lease_owner: null });
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		expect(events.some((e) => e.type === "RUN_STARTED")).toBe(false);
		expect(events.find((e) => e.type === "RUN_ERROR")).toMatchObject({ code: "model_not_configured", message: error });
		expect((await loadCheckpoint(env.DB, task.id)).messages).toEqual([]);
	});
});
