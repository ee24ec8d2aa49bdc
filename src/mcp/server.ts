/**
 * Sparky as an MCP server: `/mcp` speaks Streamable HTTP (stateless: a fresh server and
 * transport per request, JSON answers), with tools that act as the caller's user under the
 * same rules as the HTTP API: the same task, approval and memory services, the same visibility
 * (someone else's task is "not found", a memory is only ever its owner's), the same per-user
 * rates and caps. A caller sees and may call only the tools its scopes cover: every tool for a
 * Sparky API token, what the user approved for an app connected with OAuth.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { forbidden, invalid } from "../errors.ts";
import { type AuthContext, describeIssues, LIMITS, type McpScope } from "../protocol/index.ts";
import { approvalTools } from "./approval-tools.ts";
import { zodJsonSchemaValidator } from "./json-schema.ts";
import { memoryTools } from "./memory-tools.ts";
import { answer, errorAnswer, type SparkyMcpTool } from "./server-tool.ts";
import { taskTools } from "./task-tools.ts";

/** Who calls, and which scopes their token carries. */
export interface McpCallerScopes {
	auth: AuthContext;
	scopes: readonly McpScope[];
}

/** Every tool, acting as `auth`'s user. */
export function sparkyTools(env: Env, auth: AuthContext): SparkyMcpTool[] {
	const context = { env, auth };
	return [...taskTools(context), ...approvalTools(context), ...memoryTools(context)];
}

type JsonObjectSchema = { type: "object"; [key: string]: unknown };
const jsonSchema = (schema: z.ZodObject, io: "input" | "output") => z.toJSONSchema(schema, { io }) as JsonObjectSchema;

/** A tool as `tools/list` shows it. */
export function listedTool(tool: SparkyMcpTool) {
	return {
		name: tool.name,
		title: tool.annotations.title,
		description: tool.description,
		inputSchema: jsonSchema(tool.input, "input"),
		outputSchema: jsonSchema(tool.output, "output"),
		annotations: tool.annotations,
	};
}

/**
 * The MCP server for one request: the SDK's low-level `Server` (the protocol, capabilities,
 * JSON-RPC), with the tools listed and called here. Arguments are validated with each tool's
 * zod schema; a bad one is an error result naming the fields. A tool the caller's scopes
 * don't cover is not listed, and calling it is a `forbidden` error result naming the scope.
 */
export function sparkyMcpServer(env: Env, caller: McpCallerScopes): Server {
	const server = new Server(
		{ name: "sparky", version: "0.1.0" },
		{
			capabilities: { tools: {} },
			jsonSchemaValidator: zodJsonSchemaValidator,
			instructions:
				"Sparky runs tasks with an AI agent. add_task queues one; get_task shows its status and result. list_approvals and decide_approval answer the tool calls a task waits on. search_memory and add_memory read and add to what Sparky remembers about you.",
		},
	);
	const tools = sparkyTools(env, caller.auth);
	const allowed = (tool: SparkyMcpTool) => caller.scopes.includes(tool.scope);
	server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.filter(allowed).map(listedTool) }));
	server.setRequestHandler(CallToolRequestSchema, async (request) => {
		const tool = tools.find((t) => t.name === request.params.name);
		if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
		if (!allowed(tool)) {
			return errorAnswer(
				forbidden(`this connection may not use ${tool.name}: it needs the ${tool.scope} scope, which was not granted`),
			);
		}
		const args = tool.input.safeParse(request.params.arguments ?? {});
		if (!args.success) return errorAnswer(invalid(`invalid arguments for ${tool.name}`, describeIssues(args.error)));
		return answer(tool, args.data);
	});
	return server;
}

/** Answers one `/mcp` request (stateless Streamable HTTP). */
export async function handleMcpRequest(request: Request, env: Env, caller: McpCallerScopes): Promise<Response> {
	const server = sparkyMcpServer(env, caller);
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
