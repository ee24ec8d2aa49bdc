/**
 * Sparky as an MCP server: `/mcp` speaks Streamable HTTP (stateless: a fresh server and
 * transport per request, JSON answers), with tools that act as the bearer token's user under
 * the same rules as the HTTP API: the same task and memory services, the same visibility
 * (someone else's task is "not found", a memory is only ever its owner's), the same per-user
 * rates and caps.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { chatForTask } from "../chats/service.ts";
import { depsFor } from "../deps.ts";
import { conflict, invalid, SparkyError } from "../errors.ts";
import { createMemory, searchMemories, toMemory } from "../memory/service.ts";
import {
	ApproveToolsSchema,
	AttachmentIdsSchema,
	type AuthContext,
	describeIssues,
	LIMITS,
	MemoryLimits,
	MemoryTagsSchema,
	MemoryTextSchema,
	OpaqueIdSchema,
	statusInWords,
	TaskLimits,
	TaskStatusSchema,
} from "../protocol/index.ts";
import { listTasks, toTask } from "../storage/tasks.ts";
import { taskScope } from "../tasks/audience.ts";
import { changeableTask, visibleTask } from "../tasks/lookup.ts";
import { cancelTask, createTask, newTaskId } from "../tasks/service.ts";
import { zodJsonSchemaValidator } from "./json-schema.ts";

const Metadata = z
	.record(z.string().min(1).max(100), z.json())
	.refine((value) => JSON.stringify(value).length <= TaskLimits.metadataBytes, {
		message: `metadata over ${TaskLimits.metadataBytes} bytes`,
	});

type ToolAnswer = {
	content: { type: "text"; text: string }[];
	structuredContent?: Record<string, unknown>;
	isError?: boolean;
};

const ok = (value: Record<string, unknown>): ToolAnswer => ({
	content: [{ type: "text", text: JSON.stringify(value) }],
	structuredContent: value,
});

/** A domain error becomes an error result in the API's one error shape; anything else propagates. */
async function answer(run: () => Promise<Record<string, unknown>>): Promise<ToolAnswer> {
	try {
		return ok(await run());
	} catch (error) {
		if (!(error instanceof SparkyError)) throw error;
		const body = {
			error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
		};
		return { content: [{ type: "text", text: JSON.stringify(body) }], isError: true };
	}
}

interface SparkyMcpTool {
	name: string;
	description: string;
	input: z.ZodObject;
	annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
	run(args: never): Promise<Record<string, unknown>>;
}

const defineTool = <S extends z.ZodObject>(tool: {
	name: string;
	description: string;
	input: S;
	annotations: SparkyMcpTool["annotations"];
	run(args: z.output<S>): Promise<Record<string, unknown>>;
}): SparkyMcpTool => tool as unknown as SparkyMcpTool;

/** The tools, acting as `auth`'s user. */
function sparkyTools(env: Env, auth: AuthContext): SparkyMcpTool[] {
	return [...taskTools(env, auth), ...memoryTools(env, auth)];
}

/** The user's long-term memory: search it, add to it (marked as coming from an MCP client). */
function memoryTools(env: Env, auth: AuthContext): SparkyMcpTool[] {
	return [
		defineTool({
			name: "search_memory",
			description:
				"Search what Sparky remembers about you (your long-term memories), best matches first. The query is plain words; nothing in it is syntax.",
			input: z.strictObject({
				query: z.string().trim().min(1).max(MemoryLimits.queryChars).describe("Words to look for."),
				limit: z
					.number()
					.int()
					.min(1)
					.max(MemoryLimits.recallMax)
					.optional()
					.describe(`At most this many (default 10, at most ${MemoryLimits.recallMax}).`),
			}),
			annotations: { readOnlyHint: true },
			async run(args) {
				const rows = await searchMemories(env, auth.userId, args.query, { limit: args.limit ?? 10 });
				return { memories: rows.map(toMemory) };
			},
		}),
		defineTool({
			name: "add_memory",
			description:
				"Save something for Sparky to remember about you; later runs may recall it. It is marked as saved by an MCP client.",
			input: z.strictObject({
				text: MemoryTextSchema.describe(`What to remember (at most ${MemoryLimits.textChars} characters).`),
				tags: MemoryTagsSchema.optional().describe("Short labels to find it by."),
			}),
			annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
			async run(args) {
				// The memories cap and rate are applied in createMemory, as on every path.
				const memory = await createMemory(env, auth.userId, { text: args.text, tags: args.tags }, { kind: "mcp" });
				return { memory };
			},
		}),
	];
}

/** Tasks: add, get, list, cancel. */
function taskTools(env: Env, auth: AuthContext): SparkyMcpTool[] {
	return [
		defineTool({
			name: "add_task",
			description:
				"Queue a task for Sparky's agent (it runs in the background). Returns the task; poll get_task for its result.",
			input: z.strictObject({
				instruction: z.string().trim().min(1).max(TaskLimits.instructionChars).describe("What the agent should do."),
				metadata: Metadata.optional().describe("Your own key-value data, kept with the task."),
				chat_id: OpaqueIdSchema.optional().describe("Post the task into this chat of yours."),
				approve: ApproveToolsSchema.optional().describe(
					"Tools (built-in names or <server>__<tool>) a person must approve before each call runs.",
				),
				attachments: AttachmentIdsSchema.optional().describe(
					"Ids of files you uploaded (POST /api/files) to give the agent with the instruction: up to 10.",
				),
			}),
			annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
			async run(args) {
				// The task rate and open-task cap are counted in createTask, as on every path.
				const chat = args.chat_id ? await chatForTask(env, args.chat_id, auth) : undefined;
				const outcome = await createTask(depsFor(env), {
					id: newTaskId("task"),
					userId: auth.userId,
					instruction: args.instruction,
					metadata: args.metadata,
					chatId: chat?.id,
					chatUserId: chat?.user_id,
					approve: args.approve,
					attachments: args.attachments,
				});
				if (outcome.kind === "duplicate" || outcome.kind === "key_reused") {
					throw conflict(`an identical task is already ${statusInWords(outcome.task.status)}`, {
						task_id: outcome.task.id,
						status: outcome.task.status,
					});
				}
				return { task: toTask(outcome.task) };
			},
		}),
		defineTool({
			name: "get_task",
			description: "A task's status, result or error, attempts and token usage.",
			input: z.strictObject({ id: OpaqueIdSchema.describe("The task id (task_…).") }),
			annotations: { readOnlyHint: true },
			run: async (args) => ({ task: toTask(await visibleTask(env, args.id, auth)) }),
		}),
		defineTool({
			name: "list_tasks",
			description: "Your tasks, newest first, optionally only those with one status.",
			input: z.strictObject({
				status: TaskStatusSchema.optional(),
				limit: z.number().int().min(1).max(TaskLimits.listLimit).optional().describe("At most this many (default 20)."),
			}),
			annotations: { readOnlyHint: true },
			async run(args) {
				const rows = await listTasks(env.DB, {
					scope: taskScope(auth),
					status: args.status,
					kind: "task",
					limit: args.limit ?? 20,
				});
				return { tasks: rows.map(toTask) };
			},
		}),
		defineTool({
			name: "cancel_task",
			description: "Cancel a task that is waiting, queued or running.",
			input: z.strictObject({ id: OpaqueIdSchema.describe("The task id (task_…).") }),
			annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
			async run(args) {
				// The one policy (tasks/audience.ts): a watcher (the agent user) may not cancel others' tasks.
				const task = await changeableTask(env, args.id, auth);
				const outcome = await cancelTask(depsFor(env), task, Date.now(), auth.userId);
				if (outcome.kind === "finished") {
					throw conflict(`task is already ${outcome.task.status}`, { status: outcome.task.status });
				}
				return { task: toTask(outcome.task), cancelled: outcome.kind === "cancelled" };
			},
		}),
	];
}

/**
 * The MCP server for one request, acting as `auth`'s user: the SDK's low-level `Server` (the
 * protocol, capabilities, JSON-RPC), with the tools listed and called here. Arguments are
 * validated with each tool's zod schema; a bad one is an error result naming the fields.
 */
export function sparkyMcpServer(env: Env, auth: AuthContext): Server {
	const server = new Server(
		{ name: "sparky", version: "0.1.0" },
		{
			capabilities: { tools: {} },
			jsonSchemaValidator: zodJsonSchemaValidator,
			instructions:
				"Sparky runs tasks with an AI agent. add_task queues one; get_task shows its status and result. search_memory and add_memory read and add to what Sparky remembers about you.",
		},
	);
	const tools = sparkyTools(env, auth);
	server.setRequestHandler(ListToolsRequestSchema, () => ({
		tools: tools.map((t) => ({
			name: t.name,
			description: t.description,
			inputSchema: z.toJSONSchema(t.input, { io: "input" }) as { type: "object"; [key: string]: unknown },
			annotations: t.annotations,
		})),
	}));
	server.setRequestHandler(CallToolRequestSchema, async (request) => {
		const tool = tools.find((t) => t.name === request.params.name);
		if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
		const args = tool.input.safeParse(request.params.arguments ?? {});
		if (!args.success)
			return answer(() => Promise.reject(invalid(`invalid arguments for ${tool.name}`, describeIssues(args.error))));
		return answer(() => tool.run(args.data as never));
	});
	return server;
}

/** Answers one `/mcp` request (stateless Streamable HTTP). */
export async function handleMcpRequest(request: Request, env: Env, auth: AuthContext): Promise<Response> {
	const server = sparkyMcpServer(env, auth);
	const transport = new WebStandardStreamableHTTPServerTransport({
		sessionIdGenerator: undefined,
		enableJsonResponse: true,
		maxRequestBodySize: LIMITS.httpBodyBytes,
	});
	await server.connect(transport);
	try {
		return await transport.handleRequest(request);
	} finally {
		// JSON mode: the answer is complete once handleRequest returns.
		await server.close().catch(() => {});
	}
}
