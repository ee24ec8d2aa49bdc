import { sha256Hex } from "../auth/secrets.ts";
import { agentConfig, capsConfig } from "../config.ts";
import { type Deps, spendRate } from "../deps.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import { log } from "../log.ts";
import {
	type ClientTool,
	newId,
	type PublishEvent,
	type TaskKind,
	type TaskMessage,
	type WebhookSpec,
} from "../protocol/index.ts";
import { denyPending } from "../storage/approvals.ts";
import { attachStatements, userFilesAmong } from "../storage/attachments.ts";
import { initialCheckpoint, loadPolicy, type TaskPolicy } from "../storage/checkpoints.ts";
import { insertDependencies } from "../storage/dependencies.ts";
import type { FileRow } from "../storage/files.ts";
import {
	cancelPending,
	insertTask,
	markEnqueued,
	type NewTask,
	nextQueuedTurn,
	requestCancel,
	type TaskRow,
} from "../storage/tasks.ts";
import { otelConfig } from "../telemetry/config.ts";
import { newTraceparent } from "../telemetry/traceparent.ts";
import { assertWithinBudget, underBudget } from "../usage/budget.ts";
import { usageConfig } from "../usage/config.ts";
import { checkedWebhook, taskChanged } from "../webhooks/service.ts";
import { approvalDecidedEvent } from "./approval-events.ts";
import { resolveWaiting, settleDependents } from "./dependencies.ts";
import { announceToAudience, publishTaskStatus, publishToAudience, taskStatusEvent } from "./status-events.ts";

export interface CreateTaskInput {
	/** Preset id (when it had to be known before, e.g. to check dependencies). */
	id?: string;
	/** Default `task`; `chat` for a chat turn. */
	kind?: TaskKind;
	/** Checked task ids (see checkDependencies): the task waits until they all succeed. */
	dependsOn?: string[];
	userId: string;
	instruction: string;
	metadata?: Record<string, unknown>;
	chatId?: string;
	/** The chat's owner, when it isn't the creator (they see the task's events too). */
	chatUserId?: string;
	maxAttempts?: number;
	allowDuplicates?: boolean;
	idempotencyKey?: string;
	parentTaskId?: string;
	depth?: number;
	scheduleName?: string;
	/**
	 * Tools to ask a person about before they run, beside the server's SPARKY_APPROVE_TOOLS. A
	 * follow-up (`parentTaskId`) also asks about everything its parent does (`inheritPolicy`).
	 */
	approve?: string[];
	/** Tools an AG-UI client runs itself, offered to the model beside Sparky's. */
	clientTools?: ClientTool[];
	/** Uploaded files of the creator's the run is given (checked: theirs, and uploaded). */
	attachments?: string[];
	/** Its budget in US dollars; unset: SPARKY_TASK_BUDGET_USD (or none). */
	maxCostUsd?: number;
	/** The W3C traceparent its runs' spans join (validated by the caller). */
	traceparent?: string;
	/** POSTed to when it ends or waits for approval (checked here: the network guard, https). */
	webhook?: WebhookSpec;
}

export type CreateTaskOutcome =
	| { kind: "created"; task: TaskRow }
	/** The Idempotency-Key was used before for the same task: that task, unchanged. */
	| { kind: "idempotent"; task: TaskRow }
	/** The Idempotency-Key was used before for a different task. */
	| { kind: "key_reused"; task: TaskRow }
	/** An identical task is already queued or running. */
	| { kind: "duplicate"; task: TaskRow };

export interface CreateHooks {
	/** Events to publish with the `queued` status, before it can run (a chat's user message). */
	announce?: (task: TaskRow) => PublishEvent[];
	/** Work that must be done before the task can run (it is queued right after). */
	beforeEnqueue?: (task: TaskRow) => Promise<void>;
}

/**
 * Creates a task, queues it and tells its audience. Used by the API, the agent, chats and
 * schedules: every one of them passes the same per-user limits here (the `tasks` rate, 429;
 * the open-task cap, 409), whoever the caller is.
 */
export async function createTask(
	deps: Deps,
	input: CreateTaskInput,
	now = Date.now(),
	hooks: CreateHooks = {},
): Promise<CreateTaskOutcome> {
	const { env } = deps;
	const config = agentConfig(env);
	// The rate, then the insert, which checks the open-task cap and the budget itself.
	const cap = capsConfig(env).openTasks;
	// Checked before the rate: a 404 for a wrong file id spends nothing.
	const attachments = input.attachments ?? [];
	const files = await attachableFiles(env.DB, input.userId, attachments);
	const webhook = input.webhook ? checkedWebhook(env, input.webhook) : null;
	// The rate before any write (429). The budget is the insert's own condition below.
	await spendRate(deps, input.userId, "tasks");
	// By the files' contents, not their ids: a retry that uploads the same file again (a new id)
	// is the same task, so an idempotency key replays it instead of calling it another task.
	const fingerprint = await taskFingerprint(
		input.instruction,
		input.metadata,
		files.map((f) => f.sha256 ?? f.id),
	);
	const row: NewTask = {
		id: input.id ?? newTaskId(input.kind ?? "task"),
		kind: input.kind ?? "task",
		user_id: input.userId,
		instruction: input.instruction,
		metadata: input.metadata ? JSON.stringify(input.metadata) : null,
		chat_id: input.chatId ?? null,
		chat_user_id: input.chatId ? (input.chatUserId ?? input.userId) : null,
		status: input.dependsOn?.length ? "waiting" : "queued",
		max_attempts: input.maxAttempts ?? config.defaultMaxAttempts,
		fingerprint,
		active_fingerprint: input.allowDuplicates ? null : fingerprint,
		idempotency_key: input.idempotencyKey ?? null,
		parent_task_id: input.parentTaskId ?? null,
		depth: input.depth ?? 0,
		schedule_name: input.scheduleName ?? null,
		created_at: now,
		// Sent right below: the insert records it, and a failed send clears it again.
		enqueued_at: input.dependsOn?.length ? null : now,
		max_cost_usd: input.maxCostUsd ?? usageConfig(env).taskBudgetUsd,
		// The caller's trace, or (with tracing on) a new one: every attempt's spans share it.
		traceparent: input.traceparent ?? (otelConfig(env).endpoint ? newTraceparent() : null),
		webhook,
	};
	// Its policy (a follow-up's includes its parent's) is written with the task, before any run can read it.
	const initial = initialCheckpoint(await policyOf(env.DB, input), input.clientTools);
	// Its attachments are written with it (one transaction): a run never sees the task without them.
	// A user past their day or month budget starts nothing more: the insert is conditioned on
	// it (no read of its own), and only a refused insert reads why (402, naming the cap).
	const outcome = await insertTask(
		env.DB,
		row,
		cap,
		initial,
		attachStatements(env.DB, row, attachments, now),
		underBudget(env, input.userId, now),
	);
	if (outcome.kind === "capped") {
		await assertWithinBudget(env, input.userId, now);
		throw conflict(`you have ${cap} unfinished tasks, the most one user may have; wait for some to end`, {
			limit: cap,
			cap: "SPARKY_MAX_OPEN_TASKS",
		});
	}
	if (outcome.kind === "idempotent") {
		return { kind: outcome.row.fingerprint === fingerprint ? "idempotent" : "key_reused", task: outcome.row };
	}
	if (outcome.kind === "duplicate") return { kind: "duplicate", task: outcome.row };
	let task = outcome.row;
	if (input.dependsOn?.length) {
		await insertDependencies(env.DB, task.id, input.dependsOn);
		// Its dependencies may all be done already (or one failed): settle it now.
		task = (await resolveWaiting(env, task, now)) ?? task;
		// A dependency had failed already: it ended as it was made.
		if (task.status === "failed") await taskChanged(deps, [task], now);
	}
	// The announcement and the queue send go out side by side. Should the run's first events
	// reach a hub before the announcement does, they carry the same `queued` event (same id)
	// ahead of `running`, and the hub stores an id once: every hub still reads queued, running.
	// The send starts first: the run waits on it, the announcement only on the response.
	const events = [...(hooks.announce?.(task) ?? []), taskStatusEvent(task, {}, now)];
	let announced: Promise<unknown> | undefined;
	if (task.status === "queued") {
		if (hooks.beforeEnqueue) {
			announced = announceToAudience(deps, task, events);
			await hooks.beforeEnqueue(task);
		}
		const sent = enqueueTask(env, task.id, now, 0, row.enqueued_at === now);
		announced ??= announceToAudience(deps, task, events);
		await sent;
	}
	await (announced ?? announceToAudience(deps, task, events));
	return { kind: "created", task };
}

/**
 * A follow-up's policy from its parent's and its own: never looser than the parent's, whatever
 * it asked for itself, so whatever a task may not do unasked, the tasks it queues may not either.
 * Every field is named here (a new field of TaskPolicy doesn't type-check until it has its rule).
 */
export function inheritPolicy(parent: TaskPolicy, own: TaskPolicy): TaskPolicy {
	return { approve: [...new Set([...parent.approve, ...own.approve])] };
}

/** The policy a new task is created with: its own, and for a follow-up its parent's as well. */
async function policyOf(db: D1Database, input: CreateTaskInput): Promise<TaskPolicy> {
	const own: TaskPolicy = { approve: [...new Set(input.approve ?? [])] };
	if (!input.parentTaskId) return own;
	return inheritPolicy(await loadPolicy(db, input.parentTaskId), own);
}

export function newTaskId(kind: TaskKind): string {
	return newId(kind === "chat" ? "turn" : "task", 12);
}

/**
 * Whatever ended a task (its run, a cancel, the sweep, the dead-letter queue), its waiting
 * dependents move on: queued when all they waited for succeeded, failed otherwise. A chat
 * turn's end lets the chat's next turn go: its own message may have been refused while this
 * turn held the chat, and nothing else would send it again before the stale-queue sweep.
 */
export async function afterTaskEnded(
	deps: Deps,
	task: TaskRow,
	now = Date.now(),
	/** The tasks waiting on it, when the caller read them already (with the task's end). */
	waiting?: TaskRow[],
): Promise<void> {
	const settled = await settleDependents(deps.env, task, now, waiting);
	// Its webhook (and those of the dependents that failed with it): recorded, the first attempt under way.
	await taskChanged(deps, [task, ...settled.failed], now);
	for (const row of settled.failed) await publishTaskStatus(deps, row);
	for (const row of settled.promoted) {
		await publishTaskStatus(deps, row);
		await enqueueTask(deps.env, row.id, now);
	}
	if (task.kind === "chat" && task.chat_id) {
		const next = await nextQueuedTurn(deps.env.DB, task.chat_id);
		if (next) await enqueueTask(deps.env, next.id, now);
	}
}

/**
 * Sends the task's queue message. If sending fails the task stays `queued` with no
 * `enqueued_at`, and the housekeeping tick sends it again: accepted tasks are never lost.
 */
export async function enqueueTask(
	env: Env,
	taskId: string,
	now = Date.now(),
	delaySeconds = 0,
	/** The insert already wrote `enqueued_at` (a new task): no update unless the send fails. */
	markedAtInsert = false,
): Promise<boolean> {
	try {
		await env.TASK_QUEUE.send({ task_id: taskId } satisfies TaskMessage, delaySeconds ? { delaySeconds } : undefined);
		if (!markedAtInsert) await markEnqueued(env.DB, taskId, now);
		return true;
	} catch (error) {
		log.error("could not enqueue task; the tick will retry", { taskId, error });
		if (markedAtInsert) await markEnqueued(env.DB, taskId, null).catch(() => undefined);
		return false;
	}
}

export type CancelOutcome =
	| { kind: "cancelled"; task: TaskRow }
	/** It is running: it stops at its next step (its model call is aborted). */
	| { kind: "cancelling"; task: TaskRow }
	| { kind: "finished"; task: TaskRow };

/** Cancels a task: at once when it isn't running (a paused task's open approvals are closed as denied, by `by`). */
export async function cancelTask(
	deps: Deps,
	task: TaskRow,
	now = Date.now(),
	by: string | null = null,
): Promise<CancelOutcome> {
	const cancelled = await cancelPending(deps.env.DB, task.id, now);
	if (cancelled) {
		const closed = await denyPending(deps.env.DB, task.id, by, now);
		await publishToAudience(deps, cancelled, [
			...closed.map((a) => approvalDecidedEvent(a, now)),
			taskStatusEvent(cancelled),
		]);
		await afterTaskEnded(deps, cancelled, now);
		return { kind: "cancelled", task: cancelled };
	}
	const cancelling = await requestCancel(deps.env.DB, task.id, now);
	if (cancelling) return { kind: "cancelling", task: cancelling };
	return { kind: "finished", task };
}

/**
 * Identical tasks have the same instruction, the same metadata (key order ignored) and the same
 * attachments, by content and in order (a task without any keeps the fingerprint it had before
 * attachments existed).
 */
export function taskFingerprint(
	instruction: string,
	metadata: Record<string, unknown> | undefined,
	attachmentHashes: readonly string[] = [],
): Promise<string> {
	const parts: unknown[] = [instruction.trim(), canonical(metadata ?? null)];
	if (attachmentHashes.length > 0) parts.push(attachmentHashes);
	return sha256Hex(JSON.stringify(parts));
}

/**
 * The files a new task or message may carry: the creator's own (anyone else's, or an unknown
 * id, is "not found", as everywhere), uploaded in full.
 */
export async function attachableFiles(db: D1Database, userId: string, ids: readonly string[]): Promise<FileRow[]> {
	if (ids.length === 0) return [];
	const rows = new Map((await userFilesAmong(db, userId, ids)).map((row) => [row.id, row]));
	return ids.map((id) => {
		const row = rows.get(id);
		if (!row) throw notFound(`file ${id}`);
		if (row.status !== "ready") throw invalid(`file ${id} is still uploading: attach it once its upload is done`);
		return row;
	});
}

function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	if (value && typeof value === "object") {
		return Object.fromEntries(
			Object.keys(value)
				.sort()
				.map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
		);
	}
	return value;
}
