// endsTask: the one test of "this event ends the task" (the SSE route and the page's follower).
import { describe, expect, it } from "vitest";
import { endsTask } from "../../src/protocol/index.ts";

const status = (task_id: string, s: string) => ({
	type: "CUSTOM",
	name: "sparky.task.status",
	value: { task_id, status: s },
});

describe("endsTask", () => {
	it("is true for a terminal status change, of the given task when one is named", () => {
		for (const s of ["succeeded", "failed", "cancelled"]) expect(endsTask(status("task_a", s))).toBe(true);
		for (const s of ["queued", "running", "awaiting_approval", "waiting"])
			expect(endsTask(status("task_a", s))).toBe(false);
		expect(endsTask(status("task_a", "succeeded"), "task_a")).toBe(true);
		expect(endsTask(status("task_b", "succeeded"), "task_a")).toBe(false);
		expect(endsTask({ type: "RUN_FINISHED" })).toBe(false);
		expect(endsTask({ type: "CUSTOM", name: "sparky.notice", value: { status: "succeeded" } })).toBe(false);
	});
});
