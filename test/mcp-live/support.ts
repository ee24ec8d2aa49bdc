// Helpers for the MCP suite: HTTP calls to the suite's wrangler dev (see global-setup.ts).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, inject } from "vitest";

export const live = () => inject("mcp");

/** A parsed JSON answer, read loosely by tests (the assertions check its shape). */
// biome-ignore lint/suspicious/noExplicitAny: test answers are checked by assertions, not types
export type Json = any;

export type ErrorBody = { error: { code: string; message: string; details?: unknown } };
export type TaskBody = { task: { id: string; status: string; result: string | null; error: string | null } };

export async function api(
	path: string,
	options: { token?: string; method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json; text: string }> {
	const headers: Record<string, string> = {};
	if (options.token) headers.authorization = `Bearer ${options.token}`;
	if (options.body !== undefined) headers["content-type"] = "application/json";
	const send = () =>
		fetch(`${live().url}${path}`, {
			method: options.method ?? (options.body !== undefined ? "POST" : "GET"),
			headers,
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
		});
	// A kept-alive connection the server closed just as it was reused ("other side closed"):
	// the request never got an answer; it is sent once more on a new connection.
	const res = await send().catch((error: unknown) => {
		if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
		return send();
	});
	const text = await res.text();
	let body: unknown;
	try {
		body = text ? JSON.parse(text) : undefined;
	} catch {
		body = undefined;
	}
	return { status: res.status, body, text };
}

let counter = 0;
/** A fresh user and a token for it. */
export async function newUser(): Promise<{ id: string; token: string }> {
	const id = `mcp-${process.pid}-${Date.now().toString(36)}-${counter++}`;
	const admin = live().adminToken;
	const created = await api("/api/users", { token: admin, body: { id } });
	// 409: a resent request whose first try did reach the server (the id is this process's own).
	if (created.status !== 201 && created.status !== 409)
		throw new Error(`create user: ${created.status} ${created.text}`);
	const token = await api(`/api/users/${id}/tokens`, { token: admin, body: { name: "mcp-test" } });
	if (token.status !== 201) throw new Error(`create token: ${token.status} ${token.text}`);
	return { id, token: token.body.token as string };
}

export const TERMINAL = ["succeeded", "failed", "cancelled"];

/** Polls a task until it ends; returns its final state. */
export async function waitForTask(token: string, id: string, timeoutMs = 60_000): Promise<TaskBody["task"]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await api(`/api/tasks/${id}`, { token });
		if (res.status !== 200) throw new Error(`get task: ${res.status} ${res.text}`);
		if (TERMINAL.includes(res.body.task.status)) return res.body.task;
		if (Date.now() > deadline) throw new Error(`task ${id} still ${res.body.task.status}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** Runs an instruction as a task to its end: the final task and its stored events. */
export async function runTask(token: string, instruction: string) {
	const created = await api("/api/tasks", { token, body: { instruction, allow_duplicates: true } });
	if (created.status !== 201) throw new Error(`create task: ${created.status} ${created.text}`);
	const task = await waitForTask(token, created.body.task.id);
	const events = await api(`/api/tasks/${task.id}/events`, { token });
	return { task, events: events.text };
}

/** Polls a task until `done(status)`; returns its state. */
export async function waitForStatus(token: string, id: string, done: (status: string) => boolean, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await api(`/api/tasks/${id}`, { token });
		if (res.status !== 200) throw new Error(`get task: ${res.status} ${res.text}`);
		if (done(res.body.task.status)) return res.body.task as TaskBody["task"];
		if (Date.now() > deadline) throw new Error(`task ${id} still ${res.body.task.status}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/**
 * Connects the official SDK client (Streamable HTTP) to Sparky's /mcp as `token` (none: no
 * Authorization header). Every client a test file made is closed after each test.
 */
export function sparkyMcpClients(name: string): (token?: string) => Promise<Client> {
	const open: Client[] = [];
	afterEach(async () => {
		await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})));
	});
	return async (token) => {
		const client = new Client({ name, version: "1.0.0" });
		const transport = new StreamableHTTPClientTransport(new URL("/mcp", live().url), {
			requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
		});
		await client.connect(transport);
		open.push(client);
		return client;
	};
}

export type CallResult = { structuredContent?: Json; isError?: boolean; content: { type: string; text?: string }[] };

export const callTool = async (client: Client, name: string, args: Record<string, unknown>) =>
	(await client.callTool({ name, arguments: args })) as CallResult;
