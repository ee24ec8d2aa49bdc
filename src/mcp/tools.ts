/**
 * A user's MCP tools for one run: each connected server is reached and listed once, when the
 * run starts, and its tools join the built-ins as `<server>__<tool>`. A call goes to that
 * server with the owner's headers; a dead server, a timeout, an error result or input that
 * fails the tool's schema comes back to the model as `{error}`, never a crashed run.
 */
import { jsonSchema, type ToolSet, tool } from "ai";
import { z } from "zod";
import { agentConfig } from "../config.ts";
import { log } from "../log.ts";
import { CustomName } from "../protocol/index.ts";
import { enabledMcpServers, type McpServerRow } from "../storage/mcp-servers.ts";
import { ALL_TOOLS } from "../tools/registry.ts";
import { fail, type ToolFailure } from "../tools/types.ts";
import { mcpToolNeedsApproval } from "./approval.ts";
import {
	callRemoteTool,
	connectMcp,
	listRemoteTools,
	type McpClient,
	McpTimeout,
	McpTooLarge,
	McpUnavailable,
	messageOf,
	type RemoteTool,
} from "./client.ts";
import { type InputCheck, schemaCheck } from "./json-schema.ts";
import { agentToolName, scrub, scrubJson } from "./names.ts";
import { headersOf } from "./service.ts";

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
	close(): Promise<void>;
}

interface RunOptions {
	signal: AbortSignal;
	fetch?: typeof fetch;
}

/** Connects to each of the user's servers, lists their tools once, and builds the run's tools. */
export async function loadMcpTools(env: Env, userId: string, options: RunOptions): Promise<McpRunTools> {
	let rows: McpServerRow[];
	try {
		rows = await enabledMcpServers(env.DB, userId);
	} catch (error) {
		log.error("could not read the user's MCP servers; running without them", { userId, error });
		return { tools: {}, needApproval: [], unavailable: [], partial: [], close: async () => {} };
	}
	if (rows.length === 0) return { tools: {}, needApproval: [], unavailable: [], partial: [], close: async () => {} };
	const allow = agentConfig(env).fetchAllow;
	const timeoutMs = mcpCallTimeoutMs(env);
	const clients: McpClient[] = [];
	const unavailable: McpRunTools["unavailable"] = [];
	const partial: McpRunTools["partial"] = [];
	const tools: ToolSet = {};
	const needApproval: string[] = [];
	const taken = new Set<string>(ALL_TOOLS.map((t) => t.name));

	const connected = await Promise.all(
		rows.map(async (row) => {
			let headers: Record<string, string> = {};
			try {
				headers = await headersOf(env, row);
				const client = await connectMcp({ url: row.url, headers, allow, fetch: options.fetch, signal: options.signal });
				clients.push(client);
				const listed = await listRemoteTools(client, { signal: options.signal });
				if (listed.stopped) partial.push({ server: row.name, reason: scrub(listed.stopped, headers) });
				// A server's own words (descriptions, schemas) may carry what it was sent.
				return { row, headers, client, list: scrubJson(listed.tools, headers) };
			} catch (error) {
				const reason = scrub(messageOf(error), headers);
				if (!(error instanceof McpUnavailable))
					log.warn("MCP server could not be listed", { server: row.name, userId, reason });
				unavailable.push({ server: row.name, reason });
				return undefined;
			}
		}),
	);
	for (const entry of connected) {
		if (!entry) continue;
		for (const remote of entry.list) {
			const name = agentToolName(entry.row.name, remote.name);
			if (!TOOL_NAME.test(name) || taken.has(name)) continue;
			taken.add(name);
			if (mcpToolNeedsApproval(entry.row, remote)) needApproval.push(name);
			tools[name] = mcpTool(entry.row, entry.headers, entry.client, remote, name, timeoutMs, options.signal);
		}
	}
	return {
		tools,
		needApproval,
		unavailable,
		partial,
		close: async () => {
			await Promise.all(clients.map((c) => c.close().catch(() => {})));
		},
	};
}

function mcpTool(
	row: McpServerRow,
	headers: Record<string, string>,
	client: McpClient,
	remote: RemoteTool,
	name: string,
	timeoutMs: number,
	signal: AbortSignal,
) {
	let check: InputCheck | undefined;
	const description = (remote.description ?? remote.title ?? remote.name).slice(0, 1000);
	return tool({
		description: `${description} (tool "${remote.name}" of the user's MCP server "${row.name}")`,
		inputSchema: jsonSchema<Record<string, unknown>>(remote.inputSchema),
		execute: async (input: unknown): Promise<McpToolResult | ToolFailure> => {
			check ??= schemaCheck(remote.inputSchema);
			const problem = check(input);
			if (problem) return fail(`input for ${name} does not match the tool's schema: ${problem}`);
			try {
				const result = await callRemoteTool(
					client,
					{ name: remote.name, arguments: input as Record<string, unknown> },
					{ timeoutMs, signal },
				);
				return readCallResult(name, result, headers);
			} catch (error) {
				if (signal.aborted) throw error;
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
): string {
	let note = "";
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
