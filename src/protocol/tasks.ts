import { z } from "zod";
import { CustomName, EventType, type WireEvent } from "./events.ts";
import { AttachmentIdsSchema, FileSchema } from "./files.ts";
import { OpaqueIdSchema, UserIdSchema } from "./ids.ts";
import { MaxCostSchema } from "./usage.ts";
import { WebhookDeliverySchema, WebhookSpecSchema, WebhookViewSchema } from "./webhooks.ts";

/**
 * `waiting` (for dependencies) → `queued` → `running` → one of the terminal three. A run that
 * reaches a tool call someone must approve first leaves the task `awaiting_approval` (no lease,
 * no queue message) until the decision puts it back to `queued`.
 */
export const TaskStatusSchema = z.enum([
	"waiting",
	"queued",
	"running",
	"awaiting_approval",
	"succeeded",
	"failed",
	"cancelled",
]);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** A status as a sentence says it ("an identical task is already waiting for approval"). */
export function statusInWords(status: string): string {
	return status === "awaiting_approval" ? "waiting for approval" : status;
}
/** `task`: background work; `chat`: one turn of a chat (a message someone sent). */
export const TaskKindSchema = z.enum(["task", "chat"]);
export type TaskKind = z.infer<typeof TaskKindSchema>;
export const TERMINAL_STATUSES = ["succeeded", "failed", "cancelled"] as const satisfies TaskStatus[];
export const isTerminal = (status: TaskStatus): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/**
 * Whether `event` is a status change that ends a task (of `taskId`, when given): what a
 * follower of a task's stream stops at (the SSE route, the page's long poll).
 */
export function endsTask(
	event: Pick<WireEvent, "type"> & { name?: unknown; value?: unknown },
	taskId?: string,
): boolean {
	if (event.type !== EventType.CUSTOM || event.name !== CustomName.taskStatus) return false;
	const value = event.value as { task_id?: string; status?: TaskStatus } | undefined;
	if (taskId !== undefined && value?.task_id !== taskId) return false;
	return value?.status !== undefined && isTerminal(value.status);
}

export const TaskLimits = {
	instructionChars: 8_000,
	metadataBytes: 8 * 1024,
	maxAttempts: 10,
	listLimit: 100,
} as const;

const MetadataSchema = z
	.record(z.string().min(1).max(100), z.json())
	// UTF-8 bytes, not UTF-16 units: "é" counts 2, an emoji 4.
	.refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= TaskLimits.metadataBytes, {
		message: `metadata over ${TaskLimits.metadataBytes} bytes`,
	});

/** A tool name as the model calls it: a built-in, or an MCP server's `<server>__<tool>`. */
export const ToolNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "a tool name: 1-100 of A-Z a-z 0-9 _ -");
/** Tools a task (or chat message, or AG-UI run) asks a person to approve before they run. */
export const ApproveToolsSchema = z.array(ToolNameSchema).max(50);

/** `POST /api/tasks` body. */
export const CreateTaskBodySchema = z.strictObject({
	instruction: z.string().trim().min(1).max(TaskLimits.instructionChars),
	metadata: MetadataSchema.optional(),
	chat_id: OpaqueIdSchema.optional(),
	max_attempts: z.number().int().min(1).max(TaskLimits.maxAttempts).optional(),
	/** Allow a second identical task (same instruction and metadata) while one is active. */
	allow_duplicates: z.boolean().optional(),
	/** Task ids this one waits for: it stays `waiting` until all succeed, and fails if one doesn't. */
	depends_on: z.array(OpaqueIdSchema).min(1).max(20).optional(),
	/** More tools to ask about before they run, beside the server's SPARKY_APPROVE_TOOLS (`*`: all). */
	approve: ApproveToolsSchema.optional(),
	/** Uploaded files (`POST /api/files`) the agent is given with the instruction: up to 10. */
	attachments: AttachmentIdsSchema.optional(),
	/** The task's budget in US dollars: past it the run pauses for a person's approval (SPARKY_TASK_BUDGET_USD by default). */
	max_cost_usd: MaxCostSchema.optional(),
	/** POSTed to when it ends or waits for approval, signed (docs/webhooks.md). */
	webhook: WebhookSpecSchema.optional(),
});
export type CreateTaskBody = z.infer<typeof CreateTaskBodySchema>;

/** `Idempotency-Key` header: the same key (per user) always means the same task. */
export const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,200}$/, "1-200 visible ASCII characters");

export const TaskUsageSchema = z.object({
	input_tokens: z.number().int(),
	output_tokens: z.number().int(),
	total_tokens: z.number().int(),
	/** Input tokens read from the provider's prompt cache (part of `input_tokens`); absent from servers before #26. */
	cached_input_tokens: z.number().int().optional(),
	/** Output tokens spent reasoning (part of `output_tokens`), where the provider says. */
	reasoning_tokens: z.number().int().optional(),
	/** US dollars over all its runs; `null` when a call's model has no known price (docs/usage.md). */
	cost_usd: z.number().nonnegative().nullable().optional(),
});

/** A task as the API returns it. */
export const TaskSchema = z.object({
	id: z.string(),
	kind: TaskKindSchema,
	user_id: z.string(),
	instruction: z.string(),
	metadata: z.record(z.string(), z.unknown()).nullable(),
	chat_id: z.string().nullable(),
	status: TaskStatusSchema,
	attempts: z.number().int(),
	max_attempts: z.number().int(),
	parent_task_id: z.string().nullable(),
	depth: z.number().int(),
	schedule_name: z.string().nullable(),
	model: z.string().nullable(),
	result: z.string().nullable(),
	error: z.string().nullable(),
	usage: TaskUsageSchema,
	/** Its budget in US dollars, when it has one (approved extensions not included). */
	max_cost_usd: z.number().optional(),
	/** The trace its runs' spans belong to (W3C trace id), when it has one. */
	trace_id: z.string().optional(),
	cancel_requested: z.boolean(),
	created_at: z.number().int(),
	updated_at: z.number().int(),
	started_at: z.number().int().nullable(),
	finished_at: z.number().int().nullable(),
	/**
	 * Tool calls of the last run that failed or were denied: a `succeeded` task with some did
	 * only part of what was asked (its result says which). Absent from servers before it.
	 */
	tool_failures: z.number().int().optional(),
	/** `GET /api/tasks/:id` only: whether the caller may cancel or delete it (tasks/audience.ts). */
	can_cancel: z.boolean().optional(),
	/** `GET /api/tasks/:id` only: whether the caller may decide its approvals (the same policy as cancel). */
	can_decide: z.boolean().optional(),
	/** `GET /api/tasks/:id` (and a new task's answer): the files it carries, in the order given. */
	attachments: z.array(FileSchema).optional(),
	/** `GET /api/tasks/:id`, for a task with a webhook: its URL (no query string) and events. */
	webhook: WebhookViewSchema.optional(),
	/** `GET /api/tasks/:id`, for a task with a webhook: its latest deliveries, newest first. */
	webhook_deliveries: z.array(WebhookDeliverySchema).optional(),
});
export type Task = z.infer<typeof TaskSchema>;

/** `GET /api/tasks?q=`: a substring of the instruction (bounded: the search scans rows). */
export const TaskSearchSchema = z.string().trim().min(1).max(200);

export const ListTasksQuerySchema = z.object({
	status: TaskStatusSchema.optional(),
	/** Chat turns are tasks too; lists show background tasks unless asked (`all`: both). */
	kind: z.enum([...TaskKindSchema.options, "all"]).default("task"),
	/** Only this creator's tasks (useful to watchers: the agent user and admins). */
	user: UserIdSchema.optional(),
	q: TaskSearchSchema.optional(),
	/** Only the follow-ups this task created (the run view's links). */
	parent_task_id: OpaqueIdSchema.optional(),
	limit: z.coerce.number().int().min(1).max(TaskLimits.listLimit).default(20),
	cursor: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,200}$/)
		.optional(),
});

export const ClearTasksBodySchema = z.strictObject({
	/** Which terminal statuses to delete; default all three. */
	status: z.union([z.enum(TERMINAL_STATUSES), z.array(z.enum(TERMINAL_STATUSES)).min(1)]).optional(),
	/** Only tasks created before this time (ms since epoch or an ISO date). */
	created_before: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
});

/** `value` of a `CUSTOM` `sparky.task.status` event. */
export const TaskStatusValueSchema = z.object({
	task_id: z.string(),
	kind: TaskKindSchema.optional(),
	status: TaskStatusSchema,
	attempt: z.number().int(),
	user_id: z.string(),
	instruction: z.string().optional(),
	error: z.string().optional(),
	result: z.string().optional(),
	model: z.string().optional(),
	usage: TaskUsageSchema.optional(),
	retry_in_ms: z.number().int().optional(),
	/** `succeeded` with tool calls that failed or were denied: how many (as the task's `tool_failures`). */
	tool_failures: z.number().int().optional(),
});
export type TaskStatusValue = z.infer<typeof TaskStatusValueSchema>;

/** A queue message: which task to run. Everything else is read from D1 when it runs. */
export const TaskMessageSchema = z.strictObject({ task_id: OpaqueIdSchema });
export type TaskMessage = z.infer<typeof TaskMessageSchema>;
