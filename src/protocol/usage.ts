import { z } from "zod";

/**
 * What model calls cost (issue #26): usage per call, rolled up per run, task, chat, user,
 * model and day; dollar budgets per task and per user. Money is US dollars; `cost_usd` is
 * `null` wherever a call's model has no known price (never an invented figure).
 */

/** Tokens and dollars over some model calls. */
export const UsageTotalsSchema = z.object({
	input_tokens: z.number().int().nonnegative(),
	output_tokens: z.number().int().nonnegative(),
	/** Input tokens read from the provider's prompt cache (part of `input_tokens`). */
	cached_input_tokens: z.number().int().nonnegative(),
	/** Output tokens spent on reasoning (part of `output_tokens`), where the provider reports them. */
	reasoning_tokens: z.number().int().nonnegative(),
	/** `null` when any call in it had no known price. */
	cost_usd: z.number().nonnegative().nullable(),
});
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

/** `value` of the `CUSTOM` `sparky.usage` event: one model call, right after it ended. */
export const ModelCallUsageSchema = UsageTotalsSchema.extend({
	/**
	 * The task's step (model call) number, 1-based, over all its attempts; 0 for a call that
	 * summarised a chat's older turns to fit the model (compaction: billed, not a step).
	 */
	step: z.number().int().nonnegative(),
	/** `provider:model` as `SPARKY_MODEL` spells it (`demo` for the demo model). */
	model: z.string(),
	/** The task so far, this call included (`null`: some call had no price). */
	task_cost_usd: z.number().nonnegative().nullable(),
	/** What the call took, in milliseconds. */
	ms: z.number().int().nonnegative(),
});
export type ModelCallUsage = z.infer<typeof ModelCallUsageSchema>;

export const UsageGroupingSchema = z.enum(["day", "user", "model", "task"]);
export type UsageGrouping = z.infer<typeof UsageGroupingSchema>;

/** `GET /api/usage?since=&until=&by=&user=` */
export const UsageQuerySchema = z.strictObject({
	/** Milliseconds since the epoch, or an ISO date; default: 30 days ago. */
	since: z.string().max(40).optional(),
	/** Exclusive; default: now. */
	until: z.string().max(40).optional(),
	by: UsageGroupingSchema.default("day"),
	/** Admins: one user's usage only. Others may name only themselves. */
	user: z.string().min(1).max(64).optional(),
	limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

export const UsageRowSchema = UsageTotalsSchema.extend({
	/** The day (`YYYY-MM-DD`, UTC), user id, model, or task id. */
	key: z.string(),
	/** `by=task`: the task's instruction (cut short); absent otherwise. */
	label: z.string().optional(),
	/** Runs (attempts) with at least one model call. */
	runs: z.number().int().nonnegative(),
	/** Model calls. */
	calls: z.number().int().nonnegative(),
	/** Calls whose model had no known price (their dollars are not in `cost_usd`, which is then null). */
	unpriced_calls: z.number().int().nonnegative(),
});
export type UsageRow = z.infer<typeof UsageRowSchema>;

export const UsageReportSchema = z.object({
	by: UsageGroupingSchema,
	since: z.number().int(),
	until: z.number().int(),
	/** Ordered: `day` oldest first; `user`, `model`, `task` by cost (then tokens), highest first. */
	rows: z.array(UsageRowSchema),
	total: UsageRowSchema.omit({ key: true, label: true }),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** A user's budget over one period, and where they stand (`GET /api/me/budget`). */
export const BudgetPeriodSchema = z.object({
	/** `null`: no cap. */
	cap_usd: z.number().nonnegative().nullable(),
	/** Priced spend this period (calls without a price count $0 here). */
	spent_usd: z.number().nonnegative(),
	/** When the period ends (milliseconds since the epoch, UTC midnight / first of the month). */
	resets_at: z.number().int(),
	/** Where the cap comes from: an admin's override for this user, or the server's default. */
	source: z.enum(["user", "default", "none"]),
});
export const BudgetStatusSchema = z.object({
	user_id: z.string(),
	day: BudgetPeriodSchema,
	month: BudgetPeriodSchema,
	/** The default budget of a task that names none (`SPARKY_TASK_BUDGET_USD`), `null`: none. */
	task_default_usd: z.number().nonnegative().nullable(),
});
export type BudgetStatus = z.infer<typeof BudgetStatusSchema>;

/** `PUT /api/users/:id/budget` (admins): a user's own caps; `null` falls back to the server's default. */
export const UserBudgetBodySchema = z.strictObject({
	day_usd: z.number().nonnegative().max(1_000_000).nullable().optional(),
	month_usd: z.number().nonnegative().max(1_000_000).nullable().optional(),
});
export type UserBudgetBody = z.infer<typeof UserBudgetBodySchema>;

/** `details` of a 402 `budget_exceeded` answer (creating a task, sending a message). */
export const BudgetExceededSchema = z.object({
	period: z.enum(["day", "month"]),
	cap_usd: z.number().nonnegative(),
	spent_usd: z.number().nonnegative(),
	/** When the period ends (milliseconds since the epoch, UTC). */
	resets_at: z.number().int(),
});
export type BudgetExceeded = z.infer<typeof BudgetExceededSchema>;

/** A task's budget in dollars (`max_cost_usd` on a task, a chat message, AG-UI `forwardedProps.sparky`). */
export const MaxCostSchema = z.number().positive().max(1_000_000);

/** `input` of an approval whose `kind` is `budget`: the run stopped before a model call. */
export const BudgetApprovalInputSchema = z.object({
	/** What the task has spent so far. */
	spent_usd: z.number().nonnegative(),
	/** The budget it has now (its `max_cost_usd`, plus every approved extension). */
	budget_usd: z.number().positive(),
	/** What approving adds: the task's `max_cost_usd` again. */
	more_usd: z.number().positive(),
	/** The next call's estimated cost. */
	estimate_usd: z.number().nonnegative(),
});
export type BudgetApprovalInput = z.infer<typeof BudgetApprovalInputSchema>;
