/**
 * A user's MCP tools for one run: each connected server is reached and listed once, when the
 * run starts, and its tools join the built-ins as `<server>__<tool>`. A call goes to that
 * server with the owner's headers; a dead server, a timeout, an error result or input that
 * fails the tool's schema comes back to the model as `{error}`, never a crashed run.
 */
import { jsonSchema, type ToolSet, tool } from "ai";
import { z } from "zod";
import { log } from "../log.ts";
import { CustomName } from "../protocol/index.ts";
import { type McpOAuthRow, mcpOAuthOfUser } from "../storage/mcp-oauth.ts";
import { type McpServerStatusRow, mcpServerStatuses } from "../storage/mcp-server-status.ts";
import { enabledMcpServers, type McpServerRow } from "../storage/mcp-servers.ts";
import { ALL_TOOLS } from "../tools/registry.ts";
import { fail, type ToolFailure } from "../tools/types.ts";
import { mcpToolNeedsApproval } from "./approval.ts";
import { callRemoteTool, McpTimeout, McpTooLarge, McpUnavailable, messageOf, type RemoteTool } from "./client.ts";
import { type OpenServer, openMcpServer } from "./connect.ts";
import { type InputCheck, schemaCheck } from "./json-schema.ts";
import { agentToolName, scrub, scrubJson } from "./names.ts";
import { NeedsSignIn } from "./oauth-tokens.ts";
import { freshTools, listAndKeep, noteFailure } from "./tool-cache.ts";

/** Tool names providers accept: OpenAI and Anthropic both allow ^[a-zA-Z0-9_-]{1,64}$. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Default wait for one tool call (SPARKY_MCP_TIMEOUT_SECONDS overrides). */
export const MCP_CALL_TIMEOUT_MS = 60_000;
/** Characters of a result handed back to the model at most. */
export const MCP_MAX_RESULT_CHARS = 20_000;

/** The per-call timeout from SPARKY_MCP_TIMEOUT_SECONDS (whole seconds), else the default. */
export function mcpCallTimeoutMs(env: { SPARKY_MCP_TIMEOUT_SECONDS?: string }): number {
	const n = Number(env.SPARKY_MCP_TIMEOUT_SECONDS);
	return Number.isFinite(n) && n > 0 ? n * 1000 : MCP_CALL_TIMEOUT_MS;
}

const ContentSchema = z.discriminatedUnion("type", [
	z.looseObject({ type: z.literal("text"), text: z.string() }),
	z.looseObject({ type: z.literal("image"), mimeType: z.string(), data: z.string() }),
	z.looseObject({ type: z.literal("audio"), mimeType: z.string(), data: z.string() }),
	z.looseObject({ type: z.literal("resource_link"), uri: z.string(), name: z.string().optional() }),
	z.looseObject({
		type: z.literal("resource"),
		resource: z.looseObject({ uri: z.string(), text: z.string().optional(), mimeType: z.string().optional() }),
	}),
]);
/** A tools/call result, as far as Sparky reads it; anything unexpected is a tool error. */
export const CallResultSchema = z.looseObject({
	content: z.array(z.unknown()).default([]),
	structuredContent: z.record(z.string(), z.unknown()).optional(),
	isError: z.boolean().optional(),
});

export interface McpToolResult {
	/** The result's content as text (images and other binary parts described, not included). */
	text: string;
	structured?: Record<string, unknown>;
	truncated: boolean;
}

/** Turns a tools/call result into what the model reads (or a failure, for `isError` and bad shapes). */
export function readCallResult(
	label: string,
	raw: unknown,
	headers: Record<string, string> = {},
): McpToolResult | ToolFailure {
	const parsed = CallResultSchema.safeParse(raw);
	if (!parsed.success) return fail(`${label} returned a result that is not a valid MCP tool result`);
	const parts = parsed.data.content.map((item) => {
		const content = ContentSchema.safeParse(item);
		if (!content.success) return "[unrecognised content]";
		const c = content.data;
		switch (c.type) {
			case "text":
				return c.text;
			case "image":
			case "audio":
				return `[${c.type}: ${c.mimeType}, ${Math.floor((c.data.length * 3) / 4)} bytes]`;
			case "resource_link":
				return `[resource link: ${c.name ?? ""} ${c.uri}]`;
			default:
				return c.resource.text ?? `[resource: ${c.resource.uri}]`;
		}
	});
	let text = scrub(parts.join("\n"), headers);
	if (parsed.data.isError) return fail(`${label} reported an error: ${text.slice(0, 2000) || "(no message)"}`);
	let truncated = false;
	if (text.length > MCP_MAX_RESULT_CHARS) {
		text = text.slice(0, MCP_MAX_RESULT_CHARS);
		truncated = true;
	}
	const structured = parsed.data.structuredContent;
	if (structured === undefined) return { text, truncated };
	const clean = scrubJson(structured, headers);
	if (JSON.stringify(clean).length > MCP_MAX_RESULT_CHARS) return { text, truncated: true };
	return { text, structured: clean, truncated };
}

export interface McpRunTools {
	tools: ToolSet;
	/** Agent names of the tools whose server's `approval` says a person must approve each call. */
	needApproval: string[];
	/** Servers that could not be reached or listed, and why (safe to show the model). */
	unavailable: { server: string; reason: string }[];
	/** Servers whose tool list was cut short (past the page cap), and why; their listed tools are in. */
	partial: { server: string; reason: string }[];
	/** Servers whose OAuth sign-in needs the user again: their tools are left out. */
	needsSignIn: { server: string; reason: string }[];
	close(): Promise<void>;
}

interface RunOptions {
	signal: AbortSignal;
	fetch?: typeof fetch;
	now?: () => number;
}

const NONE: McpRunTools = {
	tools: {},
	needApproval: [],
	unavailable: [],
	partial: [],
	needsSignIn: [],
	close: async () => {},
};

/**
 * One server's connection in a run, opened at most once: at the start when its tool list must
 * be fetched, else (a list still fresh in D1) at its first tool call.
 */
class RunConnection {
	#open: Promise<OpenServer> | undefined;
	constructor(
		private readonly env: Env,
		readonly row: McpServerRow,
		private readonly oauth: McpOAuthRow | null,
		private readonly options: RunOptions,
	) {}
	open(): Promise<OpenServer> {
		this.#open ??= openMcpServer(this.env, this.row, this.oauth, {
			fetch: this.options.fetch,
			signal: this.options.signal,
		});
		return this.#open;
	}
	/** What was sent, once connected (to scrub what comes back); nothing before. */
	async sent(): Promise<Record<string, string>> {
		return (await this.#open?.catch(() => undefined))?.headers ?? {};
	}
	async close(): Promise<void> {
		const open = await this.#open?.catch(() => undefined);
		await open?.client.close().catch(() => {});
	}
}

/** A server's tools for this run: the fresh list kept in D1, else listed now (and kept). */
async function toolsOf(
	env: Env,
	connection: RunConnection,
	status: McpServerStatusRow | undefined,
	options: RunOptions,
): Promise<{ tools: RemoteTool[]; stopped?: string }> {
	const cached = freshTools(status, (options.now ?? Date.now)());
	if (cached) return { tools: cached };
	const { client, headers } = await connection.open();
	return listAndKeep(env.DB, connection.row.id, client, headers, { signal: options.signal });
}

/**
 * Reads the user's servers (switched on), then, only when there are any, their sign-ins and
 * kept lists: a run of a user without MCP servers (most runs) costs one query, not three.
 */
async function serversOf(env: Env, userId: string) {
	const rows = await enabledMcpServers(env.DB, userId);
	if (rows.length === 0)
		return { rows, oauth: new Map<string, McpOAuthRow>(), status: new Map<string, McpServerStatusRow>() };
	const [oauth, status] = await Promise.all([mcpOAuthOfUser(env.DB, userId), mcpServerStatuses(env.DB, userId)]);
	return { rows, oauth, status };
}

/** Connects to each of the user's servers (or reuses its kept list), and builds the run's tools. */
export async function loadMcpTools(env: Env, userId: string, options: RunOptions): Promise<McpRunTools> {
	let servers: Awaited<ReturnType<typeof serversOf>>;
	try {
		servers = await serversOf(env, userId);
	} catch (error) {
		log.error("could not read the user's MCP servers; running without them", { userId, error });
		return NONE;
	}
	if (servers.rows.length === 0) return NONE;
	const timeoutMs = mcpCallTimeoutMs(env);
	const result: McpRunTools = { ...NONE, tools: {}, needApproval: [], unavailable: [], partial: [], needsSignIn: [] };
	const connections: RunConnection[] = [];
	const taken = new Set<string>(ALL_TOOLS.map((t) => t.name));

	const listed = await Promise.all(
		servers.rows.map(async (row) => {
			const oauth = servers.oauth.get(row.id) ?? null;
			// A server that needs sign-in isn't asked at all: its tools stay out, the model is told.
			if (oauth && oauth.state !== "signed_in") {
				result.needsSignIn.push({ server: row.name, reason: oauth.reason ?? "the sign-in was not finished" });
				return undefined;
			}
			const connection = new RunConnection(env, row, oauth, options);
			connections.push(connection);
			try {
				const list = await toolsOf(env, connection, servers.status.get(row.id), options);
				if (list.stopped) result.partial.push({ server: row.name, reason: list.stopped });
				return { connection, list: list.tools };
			} catch (error) {
				if (error instanceof NeedsSignIn) {
					result.needsSignIn.push({ server: row.name, reason: error.reason });
					return undefined;
				}
				const reason = scrub(messageOf(error), await connection.sent());
				if (!(error instanceof McpUnavailable))
					log.warn("MCP server could not be listed", { server: row.name, userId, reason });
				if (!options.signal.aborted) await noteFailure(env.DB, row.id, reason);
				result.unavailable.push({ server: row.name, reason });
				return undefined;
			}
		}),
	);
	for (const entry of listed) {
		if (!entry) continue;
		const { row } = entry.connection;
		for (const remote of entry.list) {
			const name = agentToolName(row.name, remote.name);
			if (!TOOL_NAME.test(name) || taken.has(name)) continue;
			taken.add(name);
			if (mcpToolNeedsApproval(row, remote)) result.needApproval.push(name);
			result.tools[name] = mcpTool(entry.connection, remote, name, timeoutMs, options.signal);
		}
	}
	// One order whatever order the servers answered in: the same prompt for the same tools.
	result.unavailable.sort(byServer);
	result.partial.sort(byServer);
	result.needsSignIn.sort(byServer);
	result.close = async () => {
		await Promise.all(connections.map((c) => c.close()));
	};
	return result;
}

const byServer = (a: { server: string }, b: { server: string }) =>
	a.server < b.server ? -1 : a.server > b.server ? 1 : 0;

function mcpTool(connection: RunConnection, remote: RemoteTool, name: string, timeoutMs: number, signal: AbortSignal) {
	const { row } = connection;
	let check: InputCheck | undefined;
	const description = (remote.description ?? remote.title ?? remote.name).slice(0, 1000);
	return tool({
		description: `${description} (tool "${remote.name}" of the user's MCP server "${row.name}")`,
		inputSchema: jsonSchema<Record<string, unknown>>(remote.inputSchema),
		execute: async (input: unknown): Promise<McpToolResult | ToolFailure> => {
			check ??= schemaCheck(remote.inputSchema);
			const problem = check(input);
			if (problem) return fail(`input for ${name} does not match the tool's schema: ${problem}`);
			let headers: Record<string, string> = {};
			try {
				const open = await connection.open();
				headers = open.headers;
				const result = await callRemoteTool(
					open.client,
					{ name: remote.name, arguments: input as Record<string, unknown> },
					{ timeoutMs, signal },
				);
				return readCallResult(name, result, headers);
			} catch (error) {
				if (signal.aborted) throw error;
				if (error instanceof NeedsSignIn)
					return fail(
						`${name} failed: MCP server "${row.name}" needs sign-in (${error.reason}); ask the user to sign in again`,
					);
				if (error instanceof McpTooLarge) {
					return fail(
						`${name} failed: MCP server "${row.name}" sent a result over ${error.bytes / (1024 * 1024)} MiB; it was dropped unread`,
					);
				}
				const message = scrub(messageOf(error), headers);
				if (error instanceof McpTimeout || /timed out|timeout/i.test(message)) {
					return fail(`${name} timed out after ${timeoutMs / 1000} s (MCP server "${row.name}")`);
				}
				return fail(`${name} failed: MCP server "${row.name}" ${message}`);
			}
		},
	});
}

/** A line for the system prompt naming the servers whose tools are missing from this run, and why. */
export function unavailableServersNote(
	unavailable: McpRunTools["unavailable"],
	partial: McpRunTools["partial"] = [],
	needsSignIn: McpRunTools["needsSignIn"] = [],
): string {
	let note = "";
	if (needsSignIn.length > 0) {
		const names = needsSignIn.map((u) => `"${u.server}"`).join(", ");
		note += `\n\nThese MCP servers of the user need the user to sign in again, so their tools are missing from this run: ${names}. If the task needs them, tell the user to sign in (Settings, or \`sparky mcp sign-in <name>\`).`;
	}
	if (unavailable.length > 0) {
		const lines = unavailable.map((u) => `- MCP server "${u.server}": ${u.reason}`);
		note += `\n\nThese MCP servers of the user could not be reached, so their tools are missing from this run:\n${lines.join("\n")}`;
	}
	if (partial.length > 0) {
		const lines = partial.map((u) => `- MCP server "${u.server}": ${u.reason}`);
		note += `\n\nThe tool lists of these MCP servers were cut short, so some of their tools may be missing:\n${lines.join("\n")}`;
	}
	return note;
}

/** `CUSTOM` event a run emits when some of the owner's MCP servers are missing or cut short: `CustomName.mcpServers`. */
export const MCP_SERVERS_EVENT = CustomName.mcpServers;
