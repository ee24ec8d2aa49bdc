// Sparky's own MCP server, in workerd: every tool's annotations and output schema, structured
// results that match them, list_approvals / decide_approval under the API's rules, and tools
// left out (and refused) for a caller whose scopes don't cover them. The official SDK client
// talks to the server over an in-memory transport and checks each result against its schema.
import { env } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { zodJsonSchemaValidator } from "../../src/mcp/json-schema.ts";
import { sparkyMcpServer } from "../../src/mcp/server.ts";
import { type Approval, type AuthContext, MCP_SCOPES, type McpScope } from "../../src/protocol/index.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { api, json, newUser } from "../support/api.ts";
import { deliver } from "../support/tasks.ts";

const open: Client[] = [];
afterEach(async () => {
	await Promise.all(open.splice(0).map((c) => c.close()));
});

const authOf = (user: { id: string; tokenId: string }): AuthContext => ({
	userId: user.id,
	role: "user",
	tokenId: user.tokenId,
	tokenExpiresAt: null,
});

async function connect(auth: AuthContext, scopes: readonly McpScope[] = MCP_SCOPES): Promise<Client> {
	const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
	await sparkyMcpServer(env, { auth, scopes }).connect(serverSide);
	const client = new Client({ name: "tools-test", version: "1.0.0" }, { jsonSchemaValidator: zodJsonSchemaValidator });
	await client.connect(clientSide);
	open.push(client);
	return client;
}

type Result = { structuredContent?: Record<string, unknown>; isError?: boolean; content: { text?: string }[] };
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
	(await client.callTool({ name, arguments: args })) as Result;
const errorOf = (result: Result) =>
	(JSON.parse(result.content[0]?.text ?? "{}") as { error: { code: string; message: string } }).error;

/** A task of `user` paused on `delete_file`, and its pending approval. */
async function pausedTask(user: { id: string; token: string }) {
	await ensureWorkspace(env, user.id, Date.now());
	const res = await api("/api/tasks", {
		token: user.token,
		body: { instruction: "Delete README.md", allow_duplicates: true },
	});
	const task = (await json<{ task: { id: string } }>(res)).task;
	await deliver(task.id);
	const view = await json<{ task: { status: string; approvals: Approval[] } }>(
		api(`/api/tasks/${task.id}`, { token: user.token }),
	);
	expect(view.task.status).toBe("awaiting_approval");
	return { taskId: task.id, approval: view.task.approvals.at(-1) as Approval };
}

describe("Sparky's MCP tools: annotations and output schemas", () => {
	it("every tool has a title, all four hints and an object output schema", async () => {
		const user = await newUser();
		const { tools } = await (await connect(authOf(user))).listTools();
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
		for (const tool of tools) {
			expect(tool.title, tool.name).toBeTruthy();
			expect(tool.annotations?.title).toBe(tool.title);
			for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const)
				expect(typeof tool.annotations?.[hint], `${tool.name} ${hint}`).toBe("boolean");
			expect(tool.outputSchema?.type, tool.name).toBe("object");
		}
		const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
		for (const name of ["get_task", "list_tasks", "list_approvals", "search_memory"])
			expect(hints[name]).toMatchObject({ readOnlyHint: true, destructiveHint: false });
		expect(hints.cancel_task).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
		expect(hints.decide_approval).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
		expect(hints.add_task).toMatchObject({ readOnlyHint: false, openWorldHint: true, idempotentHint: false });
		const add = tools.find((t) => t.name === "add_task");
		expect(add?.outputSchema?.required).toEqual(["task"]);
	});

	it("results are structured and match each tool's output schema", async () => {
		const user = await newUser();
		const client = await connect(authOf(user));
		const { tools } = await client.listTools();
		const schemaOf = (name: string) => z.fromJSONSchema(tools.find((t) => t.name === name)?.outputSchema as never);
		const results: Record<string, Result> = {
			add_task: await call(client, "add_task", { instruction: "What time is it?", metadata: { via: "mcp" } }),
			list_tasks: await call(client, "list_tasks", {}),
			add_memory: await call(client, "add_memory", { text: "I like tea", tags: ["drinks"] }),
			search_memory: await call(client, "search_memory", { query: "tea" }),
			list_approvals: await call(client, "list_approvals"),
		};
		const added = results.add_task?.structuredContent as { task: { id: string } };
		const id = added.task.id;
		results.get_task = await call(client, "get_task", { id });
		results.cancel_task = await call(client, "cancel_task", { id });
		for (const [name, result] of Object.entries(results)) {
			expect(result.isError, `${name}: ${result.content[0]?.text}`).toBeFalsy();
			expect(schemaOf(name).safeParse(result.structuredContent).success, name).toBe(true);
			expect(JSON.parse(result.content[0]?.text ?? "")).toEqual(result.structuredContent);
		}
		expect(results.cancel_task?.structuredContent).toMatchObject({ cancelled: true, task: { id } });
		expect(results.search_memory?.structuredContent).toMatchObject({ memories: [{ text: "I like tea" }] });
	});
});

describe("list_approvals and decide_approval", () => {
	it("lists the caller's pending approval and approves it, as the API would", async () => {
		const user = await newUser();
		const { taskId, approval } = await pausedTask(user);
		const client = await connect(authOf(user));
		const listed = await call(client, "list_approvals");
		expect(listed.structuredContent?.approvals).toEqual([
			expect.objectContaining({ id: approval.id, can_decide: true }),
		]);
		const decided = await call(client, "decide_approval", {
			task_id: taskId,
			approval_id: approval.id,
			approved: false,
			reason: "not today",
		});
		expect(decided.isError).toBeFalsy();
		expect(decided.structuredContent?.approval).toMatchObject({
			id: approval.id,
			status: "denied",
			decided_by: user.id,
			reason: "not today",
		});
		// Decided once: a second decision is the API's conflict.
		const again = await call(client, "decide_approval", { task_id: taskId, approval_id: approval.id, approved: true });
		expect(again.isError).toBe(true);
		expect(errorOf(again).code).toBe("conflict");
		expect((await call(client, "list_approvals")).structuredContent?.approvals).toEqual([]);
	});

	it("someone else's approval is not found; bad input names the fields", async () => {
		const owner = await newUser();
		const stranger = await newUser();
		const { taskId, approval } = await pausedTask(owner);
		const client = await connect(authOf(stranger));
		expect((await call(client, "list_approvals")).structuredContent?.approvals).toEqual([]);
		const refused = await call(client, "decide_approval", {
			task_id: taskId,
			approval_id: approval.id,
			approved: true,
		});
		expect(errorOf(refused).code).toBe("not_found");
		const bad = await call(client, "decide_approval", { task_id: taskId, approval_id: approval.id, approved: "yes" });
		expect(errorOf(bad)).toMatchObject({ code: "validation_failed" });
		expect(errorOf(bad).message).toContain("decide_approval");
		const extra = await call(await connect(authOf(owner)), "decide_approval", {
			task_id: taskId,
			approval_id: approval.id,
			approved: true,
			reason: "x".repeat(501),
		});
		expect(errorOf(extra).code).toBe("validation_failed");
		const still = await json<{ approvals: Approval[] }>(api("/api/approvals", { token: owner.token }));
		expect(still.approvals.map((a) => a.status)).toEqual(["pending"]);
	});
});

describe("scopes", () => {
	it("a caller with tasks:read sees only the reading tools and is refused the others", async () => {
		const user = await newUser();
		const { taskId, approval } = await pausedTask(user);
		const client = await connect(authOf(user), ["tasks:read"]);
		const { tools } = await client.listTools();
		expect(tools.map((t) => t.name).sort()).toEqual(["get_task", "list_approvals", "list_tasks"]);
		const refused = await call(client, "decide_approval", {
			task_id: taskId,
			approval_id: approval.id,
			approved: true,
		});
		expect(refused.isError).toBe(true);
		expect(errorOf(refused)).toMatchObject({ code: "forbidden" });
		expect(errorOf(refused).message).toContain("approvals:decide");
		expect(errorOf(await call(client, "add_task", { instruction: "hi" })).code).toBe("forbidden");
		expect(errorOf(await call(client, "add_memory", { text: "x" })).code).toBe("forbidden");
		const pending = await json<{ approvals: Approval[] }>(api("/api/approvals", { token: user.token }));
		expect(pending.approvals.map((a) => a.status)).toEqual(["pending"]);
	});
});
