import { capsConfig } from "../config.ts";
import { type Deps, hubRates, spendRate } from "../deps.ts";
import { conflict, invalid, type SparkyError } from "../errors.ts";
import { log } from "../log.ts";
import {
	type CreateScheduleBody,
	newId,
	parseDuration,
	type Schedule,
	type UpdateScheduleBody,
} from "../protocol/index.ts";
import {
	advanceSchedule,
	dueSchedules,
	getSchedule,
	insertSchedule,
	recordManualRun,
	type ScheduleRow,
	updateSchedule as updateScheduleRow,
} from "../storage/schedules.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { createTask } from "../tasks/service.ts";
import { checkedWebhook, parseWebhook, webhookView } from "../webhooks/service.ts";
import { dueRun } from "./slots.ts";
import { nextSlot, parseTiming, type Timing, type TimingError } from "./timing.ts";

export function toSchedule(row: ScheduleRow): Schedule {
	return {
		id: row.id,
		user_id: row.user_id,
		name: row.name,
		instruction: row.instruction,
		metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null,
		every: row.every,
		cron: row.cron,
		timezone: row.timezone,
		enabled: row.enabled === 1,
		next_run_at: row.next_run_at,
		last_run_at: row.last_run_at,
		last_task_id: row.last_task_id,
		webhook: webhookView(row.webhook),
		created_at: row.created_at,
		updated_at: row.updated_at,
	};
}

export function timingOf(row: Pick<ScheduleRow, "every" | "cron" | "timezone">): Timing {
	if (row.every) return { kind: "every", every: row.every, everyMs: parseDuration(row.every) ?? 60_000 };
	return { kind: "cron", cron: row.cron ?? "* * * * *", timezone: row.timezone };
}

export async function createSchedule(
	env: Env,
	userId: string,
	body: CreateScheduleBody,
	now = Date.now(),
): Promise<ScheduleRow> {
	const timing = checkedTiming(body);
	const webhook = body.webhook ? checkedWebhook(env, body.webhook) : null;
	await spendRate({ rates: hubRates(env) }, userId, "schedules");
	const cap = capsConfig(env).schedules;
	const enabled = body.enabled ?? true;
	const row = await insertSchedule(
		env.DB,
		{
			id: newId("sched", 12),
			user_id: userId,
			name: body.name,
			instruction: body.instruction,
			metadata: body.metadata ? JSON.stringify(body.metadata) : null,
			every: timing.kind === "every" ? timing.every : null,
			cron: timing.kind === "cron" ? timing.cron : null,
			timezone: timing.kind === "cron" ? timing.timezone : (body.timezone ?? "UTC"),
			enabled: enabled ? 1 : 0,
			next_run_at: enabled ? nextSlot(timing, now) : null,
			last_run_at: null,
			last_task_id: null,
			created_at: now,
			updated_at: now,
			webhook,
		},
		cap,
	);
	if (row) return row;
	if (await getSchedule(env.DB, userId, body.name)) throw conflict(`you already have a schedule named "${body.name}"`);
	throw conflict(`you have ${cap} schedules, the most one user may have; delete one first`, {
		limit: cap,
		cap: "SPARKY_MAX_SCHEDULES",
	});
}

/** Changes a schedule. New timing, or enabling it, counts from now: no catch-up of the past. */
export async function updateSchedule(
	env: Env,
	row: ScheduleRow,
	patch: UpdateScheduleBody,
	now = Date.now(),
): Promise<ScheduleRow> {
	const timingChanged = patch.every !== undefined || patch.cron !== undefined || patch.timezone !== undefined;
	const timing = timingChanged
		? checkedTiming({
				every: patch.every ?? (patch.cron === undefined ? (row.every ?? undefined) : undefined),
				cron: patch.cron ?? (patch.every === undefined ? (row.cron ?? undefined) : undefined),
				timezone: patch.timezone ?? row.timezone,
			})
		: timingOf(row);
	const webhook =
		patch.webhook === undefined ? row.webhook : patch.webhook === null ? null : checkedWebhook(env, patch.webhook);
	const enabled = patch.enabled ?? row.enabled === 1;
	const reschedule = timingChanged || (enabled && row.enabled === 0);
	const updated = await updateScheduleRow(env.DB, {
		...row,
		instruction: patch.instruction ?? row.instruction,
		metadata:
			patch.metadata === undefined ? row.metadata : patch.metadata === null ? null : JSON.stringify(patch.metadata),
		every: timing.kind === "every" ? timing.every : null,
		cron: timing.kind === "cron" ? timing.cron : null,
		timezone: timing.kind === "cron" ? timing.timezone : (patch.timezone ?? row.timezone),
		enabled: enabled ? 1 : 0,
		next_run_at: !enabled ? null : reschedule ? nextSlot(timing, now) : row.next_run_at,
		updated_at: now,
		webhook,
	});
	return updated ?? row;
}

/** "Run now": one task right away; the timer is not moved. */
export async function runScheduleNow(deps: Deps, row: ScheduleRow, now = Date.now()): Promise<TaskRow> {
	const outcome = await createTask(deps, scheduledTask(row, `schedule:${row.id}:manual:${now}`), now);
	await recordManualRun(deps.env.DB, row.id, now, outcome.task.id);
	return outcome.task;
}

/**
 * The minute tick's part: one task per due slot. The task's idempotency key is the slot, and
 * the schedule only moves on by a conditional update, so a tick that runs twice, or two
 * ticks at once, make one task; a tick that runs late makes one task for all missed slots.
 */
export async function runDueSchedules(deps: Deps, now: number): Promise<number> {
	const { env } = deps;
	let created = 0;
	for (const row of await dueSchedules(env.DB, now)) {
		try {
			const due = dueRun(timingOf(row), row.next_run_at, now);
			if (!due.run) continue;
			const outcome = await createTask(deps, scheduledTask(row, `schedule:${row.id}:${due.slot}`), now);
			const advanced = await advanceSchedule(env.DB, row.id, due.slot, due.next, now, outcome.task.id);
			if (advanced && outcome.kind === "created") created++;
			if (due.skipped > 0)
				log.info("schedule caught up after missed slots", { schedule: row.id, skipped: due.skipped });
		} catch (error) {
			// One broken schedule must not stop the others; it is retried next minute.
			log.error("schedule run failed", { schedule: row.id, error });
		}
	}
	return created;
}

function scheduledTask(row: ScheduleRow, idempotencyKey: string) {
	return {
		userId: row.user_id,
		instruction: row.instruction,
		metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : undefined,
		scheduleName: row.name,
		idempotencyKey,
		// Each slot is its own run, even if the last one is still going.
		allowDuplicates: true,
		// Checked again as each task is made (the settings may have changed since).
		webhook: parseWebhook(row.webhook) ?? undefined,
	};
}

function checkedTiming(input: { every?: string; cron?: string; timezone?: string }): Timing {
	const parsed = parseTiming(input);
	if (!parsed.ok) throw timingError(parsed.error);
	return parsed.timing;
}

function timingError(error: TimingError): SparkyError {
	const details = error.field ? { field: error.field, position: error.position } : undefined;
	return invalid(error.message, details);
}
