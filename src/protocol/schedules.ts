import { z } from "zod";
import { TaskLimits } from "./tasks.ts";
import { WebhookSpecSchema, WebhookViewSchema } from "./webhooks.ts";

export const ScheduleNameSchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "name: 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit");

const Metadata = z
	.record(z.string().min(1).max(100), z.json())
	.refine((v) => new TextEncoder().encode(JSON.stringify(v)).length <= TaskLimits.metadataBytes, {
		message: "metadata too large",
	});

const timingFields = {
	/** A fixed interval: "30m", "2h", "1d" (at least 1m), aligned to the Unix epoch (UTC). */
	every: z.string().min(2).max(20).optional(),
	/** Five cron fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5". */
	cron: z.string().min(9).max(120).optional(),
	/** IANA time zone for `cron`; default UTC. */
	timezone: z.string().min(1).max(64).optional(),
};

/** `POST /api/schedules` body: exactly one of `every` or `cron`. */
export const CreateScheduleBodySchema = z.strictObject({
	name: ScheduleNameSchema,
	instruction: z.string().trim().min(1).max(TaskLimits.instructionChars),
	...timingFields,
	metadata: Metadata.optional(),
	enabled: z.boolean().optional(),
	/** Every task it creates gets this webhook (docs/webhooks.md). */
	webhook: WebhookSpecSchema.optional(),
});
export type CreateScheduleBody = z.infer<typeof CreateScheduleBodySchema>;

/** `PATCH /api/schedules/:name` body: what to change (giving `every` replaces `cron`, and back). */
export const UpdateScheduleBodySchema = z.strictObject({
	instruction: z.string().trim().min(1).max(TaskLimits.instructionChars).optional(),
	...timingFields,
	metadata: Metadata.nullable().optional(),
	enabled: z.boolean().optional(),
	/** A new webhook for the tasks it creates from now on; `null` removes it. */
	webhook: WebhookSpecSchema.nullable().optional(),
});
export type UpdateScheduleBody = z.infer<typeof UpdateScheduleBodySchema>;

export const ScheduleSchema = z.object({
	id: z.string(),
	user_id: z.string(),
	name: z.string(),
	instruction: z.string(),
	metadata: z.record(z.string(), z.unknown()).nullable(),
	every: z.string().nullable(),
	cron: z.string().nullable(),
	timezone: z.string(),
	enabled: z.boolean(),
	/** When it fires next (ms), or null when disabled. */
	next_run_at: z.number().int().nullable(),
	last_run_at: z.number().int().nullable(),
	last_task_id: z.string().nullable(),
	/** The webhook its tasks get (URL without query string), or null; absent from servers before #29. */
	webhook: WebhookViewSchema.nullable().optional(),
	created_at: z.number().int(),
	updated_at: z.number().int(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;
