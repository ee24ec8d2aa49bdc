import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { api, json, newUser } from "../support/api.ts";
import { deliver, queuedTask } from "../support/tasks.ts";

/** Runs a task to its end with the demo model; what GET /api/tasks/:id and the list then say. */
async function ran(instruction: string) {
	const user = await newUser();
	const row = await queuedTask(user.id, { instruction });
	await deliver(row.id);
	const { task } = await json<{ task: Task }>(await api(`/api/tasks/${row.id}`, { token: user.token }));
	const { tasks } = await json<{ tasks: Task[] }>(await api("/api/tasks", { token: user.token }));
	return { task, listed: tasks.find((t) => t.id === row.id) };
}

describe("a task's outcome is honest (issue #27)", () => {
	it("a run whose tool failed says so: succeeded, with tool_failures and the words in the result", async () => {
		const { task, listed } = await ran("read missing.md");
		expect(task).toMatchObject({ status: "succeeded", tool_failures: 1 });
		expect(listed?.tool_failures).toBe(1);
		expect(task.result).toContain("**read_file** failed");
		expect(task.result).toContain("I couldn't do what you asked");
	});

	it("a run where every tool worked has tool_failures 0", async () => {
		const { task } = await ran("what time is it");
		expect(task).toMatchObject({ status: "succeeded", tool_failures: 0 });
		expect(task.result).not.toContain("couldn't");
	});

	it("a call to a tool the run doesn't have (an MCP server off or gone) is put in words, no AI_ error name", async () => {
		const { task } = await ran('Use the ghost__echo tool with {"text":"hi"}');
		expect(task).toMatchObject({ status: "succeeded", tool_failures: 1 });
		expect(task.result).toContain("**ghost__echo** failed: no tool named ghost__echo is available in this run");
		expect(task.result).not.toMatch(/AI_[A-Za-z]+Error|Available tools|unavailable tool/);
	});

	it("the task's events carry the words too, and the succeeded status says how many failed", async () => {
		const user = await newUser();
		const row = await queuedTask(user.id, { instruction: "Use the ghost__echo tool" });
		await deliver(row.id);
		const res = await api(`/api/tasks/${row.id}/events`, { token: user.token });
		const text = await res.text();
		expect(text).not.toMatch(/AI_[A-Za-z]+Error/);
		expect(text).toContain("no tool named ghost__echo");
		expect(text).toMatch(/"status":"succeeded"[^\n]*"tool_failures":1/);
	});
});
