/** Sparky's MCP tools for tasks: add, get, list, cancel (the task service, as the caller). */
import { z } from "zod";
import { chatForTask } from "../chats/service.ts";
import { depsFor } from "../deps.ts";
import { conflict } from "../errors.ts";
import {
	ApproveToolsSchema,
	AttachmentIdsSchema,
	OpaqueIdSchema,
	statusInWords,
	TaskLimits,
	TaskSchema,
	TaskStatusSchema,
} from "../protocol/index.ts";
import { listTasks, toTask } from "../storage/tasks.ts";
import { taskScope } from "../tasks/audience.ts";
import { changeableTask, visibleTask } from "../tasks/lookup.ts";
import { cancelTask, createTask, newTaskId } from "../tasks/service.ts";
import { defineTool, type SparkyMcpTool, type ToolContext } from "./server-tool.ts";

const Metadata = z
	.record(z.string().min(1).max(100), z.json())
	.refine((value) => JSON.stringify(value).length <= TaskLimits.metadataBytes, {
		message: `metadata over ${TaskLimits.metadataBytes} bytes`,
	});

const TaskId = z.strictObject({ id: OpaqueIdSchema.describe("The task id (task_…).") });
const OneTask = z.object({ task: TaskSchema });

export function taskTools({ env, auth }: ToolContext): SparkyMcpTool[] {
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
			output: OneTask,
			// Each call queues a new task; the agent may reach the web and the user's MCP servers.
			annotations: {
				title: "Add a task",
				readOnlyHint: false,
				destructiveHint: false,
				idempotentHint: false,
				openWorldHint: true,
			},
			scope: "tasks:write",
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
			input: TaskId,
			output: OneTask,
			annotations: readOnly("Get a task"),
			scope: "tasks:read",
			run: async (args) => ({ task: toTask(await visibleTask(env, args.id, auth)) }),
		}),
		defineTool({
			name: "list_tasks",
			description: "Your tasks, newest first, optionally only those with one status.",
			input: z.strictObject({
				status: TaskStatusSchema.optional(),
				limit: z.number().int().min(1).max(TaskLimits.listLimit).optional().describe("At most this many (default 20)."),
			}),
			output: z.object({ tasks: z.array(TaskSchema) }),
			annotations: readOnly("List tasks"),
			scope: "tasks:read",
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
			input: TaskId,
			output: z.object({ task: TaskSchema, cancelled: z.boolean() }),
			// Stops work that can't be resumed; cancelling twice changes nothing more.
			annotations: {
				title: "Cancel a task",
				readOnlyHint: false,
				destructiveHint: true,
				idempotentHint: true,
				openWorldHint: false,
			},
			scope: "tasks:write",
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

/** A tool that only reads Sparky's own data. */
export const readOnly = (title: string) => ({
	title,
	readOnlyHint: true,
	destructiveHint: false,
	idempotentHint: true,
	openWorldHint: false,
});
