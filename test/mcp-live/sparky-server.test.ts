// Sparky's own /mcp endpoint, with the official SDK client (Streamable HTTP) against a real wrangler dev.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { api, callTool, live, newUser, sparkyMcpClients, TERMINAL } from "./support.ts";

const connect = sparkyMcpClients("sparky-test");
const call = callTool;

async function until(client: Client, id: string, done: (status: string) => boolean) {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const res = await call(client, "get_task", { id });
		expect(res.isError).toBeFalsy();
		if (done(res.structuredContent.task.status)) return res.structuredContent.task;
		if (Date.now() > deadline) throw new Error(`task ${id} still ${res.structuredContent.task.status}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe("Sparky as an MCP server (/mcp)", () => {
	it("refuses a request without a valid token (401)", async () => {
		const res = await fetch(new URL("/mcp", live().url), {
			method: "POST",
			headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
			body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
		});
		expect(res.status).toBe(401);
		expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
		await expect(connect()).rejects.toThrow();
		await expect(connect("spk_not-a-real-token-000000000000")).rejects.toThrow();
	});

	it("lists its tools", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const { tools } = await client.listTools();
		expect(tools.map((t) => t.name).sort()).toEqual([
			"add_memory",
			"add_task",
			"cancel_task",
			"decide_approval",
			"get_task",
			"list_approvals",
			"list_tasks",
			"search_memory",
		]);
		const add = tools.find((t) => t.name === "add_task");
		expect(add?.inputSchema.required).toEqual(["instruction"]);
		expect(Object.keys(add?.inputSchema.properties ?? {})).toEqual(
			expect.arrayContaining(["instruction", "metadata", "chat_id", "approve"]),
		);
	});

	it("adds a task that succeeds, gets it and lists it", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const added = await call(client, "add_task", { instruction: "What time is it?", metadata: { via: "mcp" } });
		expect(added.isError).toBeFalsy();
		const id = added.structuredContent.task.id as string;
		expect(added.structuredContent.task).toMatchObject({ user_id: user.id, metadata: { via: "mcp" } });
		const done = await until(client, id, (s) => TERMINAL.includes(s));
		expect(done.status).toBe("succeeded");
		expect(done.result).toMatch(/It is /);
		const listed = await call(client, "list_tasks", { status: "succeeded", limit: 5 });
		expect(listed.structuredContent.tasks.map((t: { id: string }) => t.id)).toContain(id);
		// The same task through the HTTP API.
		expect((await api(`/api/tasks/${id}`, { token: user.token })).body.task.status).toBe("succeeded");
	});

	it("add_task passes approve on: the task waits for approval of that tool", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const added = await call(client, "add_task", { instruction: "What time is it?", approve: ["current_time"] });
		expect(added.isError).toBeFalsy();
		const task = await until(
			client,
			added.structuredContent.task.id,
			(s) => s === "awaiting_approval" || TERMINAL.includes(s),
		);
		expect(task.status).toBe("awaiting_approval");
		const cancelled = await call(client, "cancel_task", { id: task.id });
		expect(cancelled.isError).toBeFalsy();
	});

	it("validates tool input like the HTTP API", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const res = await call(client, "add_task", { instruction: "   " });
		expect(res.isError).toBe(true);
		const listed = await call(client, "list_tasks", { limit: 1000 });
		expect(listed.isError).toBe(true);
	});

	it("cancels a running task", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const added = await call(client, "add_task", { instruction: `Fetch ${live().slowUrl}` });
		const id = added.structuredContent.task.id as string;
		await until(client, id, (s) => s === "running");
		const cancelled = await call(client, "cancel_task", { id });
		expect(cancelled.isError).toBeFalsy();
		expect(cancelled.structuredContent.task.id).toBe(id);
		const final = await until(client, id, (s) => TERMINAL.includes(s));
		expect(final.status).toBe("cancelled");
		const again = await call(client, "cancel_task", { id });
		expect(again.isError).toBe(true);
		expect(again.content[0]?.text).toContain('"conflict"');
	});

	it("another user's task is not found, and their tasks are not listed", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const a = await connect(alice.token);
		const b = await connect(bob.token);
		const added = await call(a, "add_task", { instruction: "What time is it?" });
		const id = added.structuredContent.task.id as string;
		for (const tool of ["get_task", "cancel_task"]) {
			const res = await call(b, tool, { id });
			expect(res.isError, tool).toBe(true);
			expect(JSON.parse(res.content[0]?.text ?? "{}").error.code, tool).toBe("not_found");
		}
		const listed = await call(b, "list_tasks", {});
		expect(listed.structuredContent.tasks).toEqual([]);
	});
});
