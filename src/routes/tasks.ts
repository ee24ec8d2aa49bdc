import { Hono } from "hono";
import { z } from "zod";
import { chatForTask } from "../chats/service.ts";
import { depsFor } from "../deps.ts";
import { conflict, invalid, unprocessable } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf, queryOf } from "../http/validate.ts";
import {
	ApprovalParamsSchema,
	ClearTasksBodySchema,
	CreateTaskBodySchema,
	DecideApprovalBodySchema,
	describeIssues,
	IdempotencyKeySchema,
	ListTasksQuerySchema,
	OpaqueIdSchema,
	statusInWords,
	TERMINAL_STATUSES,
	WebhookDeliveriesQuerySchema,
} from "../protocol/index.ts";
import { taskApprovals } from "../storage/approvals.ts";
import { taskFiles } from "../storage/attachments.ts";
import { toFile } from "../storage/files.ts";
import { decodeTimeIdCursor, encodeCursor } from "../storage/page-cursor.ts";
import { clearFinished, deleteFinished, listTasks, toTask } from "../storage/tasks.ts";
import { decideApproval } from "../tasks/approvals.ts";
import { canChangeTask, clearScope, taskScope } from "../tasks/audience.ts";
import { checkDependencies } from "../tasks/dependencies.ts";
import { changeableTask, visibleTask } from "../tasks/lookup.ts";
import { cancelTask, createTask, newTaskId } from "../tasks/service.ts";
import { traceparentOf } from "../telemetry/traceparent.ts";
import { taskWebhookFields, webhookDeliveries } from "../webhooks/service.ts";

const TaskParams = z.object({ id: OpaqueIdSchema });

/** Tasks, under /api/tasks. A task is visible to its creator, the agent user and admins. */
export const tasksRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	// The task rate and open-task cap are counted in createTask, on every path that makes one.
	.post("/", jsonBody(CreateTaskBodySchema), async (c) => {
		const body = c.req.valid("json");
		const key = idempotencyKey(c.req.header("Idempotency-Key"));
		// Posting into a chat: only into the creator's own chat (chats are their owner's alone).
		const chat = body.chat_id ? await chatForTask(c.env, body.chat_id, c.var.auth) : undefined;
		const id = newTaskId("task");
		const dependsOn = body.depends_on ? await checkDependencies(c.env, c.var.auth, id, body.depends_on) : undefined;
		const outcome = await createTask(depsFor(c.env), {
			id,
			dependsOn,
			userId: c.var.auth.userId,
			instruction: body.instruction,
			metadata: body.metadata,
			chatId: chat?.id,
			chatUserId: chat?.user_id,
			maxAttempts: body.max_attempts,
			allowDuplicates: body.allow_duplicates,
			idempotencyKey: key,
			approve: body.approve,
			attachments: body.attachments,
			maxCostUsd: body.max_cost_usd,
			traceparent: traceparentOf(c.req.header("traceparent")),
			webhook: body.webhook,
		});
		switch (outcome.kind) {
			case "created": {
				const attachments = body.attachments?.length ? await taskFiles(c.env.DB, outcome.task.id) : [];
				const task = toTask(outcome.task);
				return c.json({ task: attachments.length ? { ...task, attachments: attachments.map(toFile) } : task }, 201);
			}
			case "idempotent":
				return c.json({ task: toTask(outcome.task) }, 200, { "Idempotent-Replayed": "true" });
			case "key_reused":
				throw unprocessable("this Idempotency-Key was already used for a different task", {
					task_id: outcome.task.id,
				});
			case "duplicate":
				throw conflict(
					`an identical task is already ${statusInWords(outcome.task.status)}; send allow_duplicates: true to add it anyway`,
					{
						task_id: outcome.task.id,
						status: outcome.task.status,
					},
				);
		}
	})
	.get("/", queryOf(ListTasksQuerySchema), async (c) => {
		const query = c.req.valid("query");
		const rows = await listTasks(c.env.DB, {
			scope: taskScope(c.var.auth),
			status: query.status,
			kind: query.kind === "all" ? undefined : query.kind,
			userId: query.user,
			search: query.q,
			parentTaskId: query.parent_task_id,
			limit: query.limit + 1,
			after: query.cursor ? taskCursor(query.cursor) : undefined,
		});
		const page = rows.slice(0, query.limit);
		const last = page.at(-1);
		return c.json({
			tasks: page.map(toTask),
			next_cursor: rows.length > query.limit && last ? encodeCursor([last.created_at, last.id]) : null,
		});
	})
	.post("/clear", jsonBody(ClearTasksBodySchema), async (c) => {
		const body = c.req.valid("json");
		const statuses = body.status === undefined ? TERMINAL_STATUSES : [body.status].flat();
		const before =
			body.created_before === undefined
				? undefined
				: typeof body.created_before === "number"
					? body.created_before
					: Date.parse(body.created_before);
		const deleted = await clearFinished(c.env.DB, clearScope(c.var.auth), statuses, before);
		return c.json({ deleted });
	})
	.get("/:id", paramsOf(TaskParams), async (c) => {
		const task = await visibleTask(c.env, c.req.valid("param").id, c.var.auth);
		// Whoever may change a task may cancel it and decide its approvals (tasks/audience.ts).
		const may = canChangeTask(task, c.var.auth);
		const [approvals, files, webhook] = await Promise.all([
			taskApprovals(c.env.DB, task.id),
			taskFiles(c.env.DB, task.id),
			taskWebhookFields(c.env.DB, task),
		]);
		return c.json({
			task: {
				...toTask(task),
				can_cancel: may,
				can_decide: may,
				approvals: approvals.map((a) => ({ ...a, can_decide: may })),
				attachments: files.map(toFile),
				...webhook,
			},
		});
	})
	.get("/:id/webhook-deliveries", paramsOf(TaskParams), queryOf(WebhookDeliveriesQuerySchema), async (c) => {
		const task = await visibleTask(c.env, c.req.valid("param").id, c.var.auth);
		return c.json({ deliveries: await webhookDeliveries(c.env.DB, task.id, c.req.valid("query").limit) });
	})
	.post("/:id/approvals/:approvalId", paramsOf(ApprovalParamsSchema), jsonBody(DecideApprovalBodySchema), async (c) => {
		const { id, approvalId } = c.req.valid("param");
		const task = await visibleTask(c.env, id, c.var.auth);
		const approval = await decideApproval(depsFor(c.env), task, approvalId, c.req.valid("json"), c.var.auth);
		return c.json({ approval });
	})
	.post("/:id/cancel", paramsOf(TaskParams), async (c) => {
		const task = await changeableTask(c.env, c.req.valid("param").id, c.var.auth);
		// The webhook's first attempt may outlive the answer.
		const deps = { ...depsFor(c.env), waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
		const outcome = await cancelTask(deps, task, Date.now(), c.var.auth.userId);
		if (outcome.kind === "finished")
			throw conflict(`task is already ${outcome.task.status}`, { status: outcome.task.status });
		return c.json({ task: toTask(outcome.task) }, outcome.kind === "cancelled" ? 200 : 202);
	})
	.delete("/:id", paramsOf(TaskParams), async (c) => {
		const task = await changeableTask(c.env, c.req.valid("param").id, c.var.auth);
		const deleted = await deleteFinished(c.env.DB, task.id);
		if (!deleted) throw conflict(`task is ${task.status}; cancel it before deleting it`, { status: task.status });
		return c.body(null, 204);
	});

function idempotencyKey(header: string | undefined): string | undefined {
	if (header === undefined) return undefined;
	const parsed = IdempotencyKeySchema.safeParse(header);
	if (!parsed.success) {
		throw invalid("invalid Idempotency-Key header", describeIssues(parsed.error));
	}
	return parsed.data;
}

function taskCursor(text: string): { createdAt: number; id: string } {
	const { at, id } = decodeTimeIdCursor(text);
	return { createdAt: at, id };
}
