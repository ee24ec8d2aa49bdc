import { SparkyError } from "../errors.ts";
import { type BudgetExceeded, type BudgetStatus, ErrorCode } from "../protocol/index.ts";
import { roundUsd, type SqlCondition, underBudgetSql, userSpend } from "../storage/usage.ts";
import { usageConfig } from "./config.ts";
import { dayOf, monthStartOf, nextDayAt, nextMonthAt } from "./periods.ts";

/** Where a user stands against their day and month caps (their own, or the server's default). */
export async function budgetStatus(env: Env, userId: string, now = Date.now()): Promise<BudgetStatus> {
	const config = usageConfig(env);
	const spend = await userSpend(env.DB, userId, dayOf(now), monthStartOf(now));
	return {
		user_id: userId,
		day: period(spend.budget_day_usd, config.userDayUsd, spend.day_usd, nextDayAt(now)),
		month: period(spend.budget_month_usd, config.userMonthUsd, spend.month_usd, nextMonthAt(now)),
		task_default_usd: config.taskBudgetUsd,
	};
}

function period(own: number | null, fallback: number | null, spent: number, resetsAt: number) {
	const cap = own ?? fallback;
	return {
		cap_usd: cap,
		spent_usd: roundUsd(spent),
		resets_at: resetsAt,
		source: own !== null ? ("user" as const) : fallback !== null ? ("default" as const) : ("none" as const),
	};
}

/**
 * The budget as a condition of a task's insert (tasks/service.ts): true while the user is
 * under their day and month caps (their own, or the server's default). A new task costs no
 * read of its own for it; only a refused insert reads the status, to say why.
 */
export function underBudget(env: Env, userId: string, now = Date.now()): SqlCondition {
	const config = usageConfig(env);
	return underBudgetSql(userId, dayOf(now), monthStartOf(now), {
		dayUsd: config.userDayUsd,
		monthUsd: config.userMonthUsd,
	});
}

/**
 * Refuses new work from a user at or over their day or month budget (402, `budget_exceeded`,
 * naming the cap and when it resets). One read (caps and spend together): even without a
 * default cap, an admin may have given this user their own.
 */
export async function assertWithinBudget(env: Env, userId: string, now = Date.now()): Promise<void> {
	const over = overBudget(await budgetStatus(env, userId, now));
	if (over) throw over;
}

/** The error for a user at or over a cap, if they are. */
export function overBudget(status: BudgetStatus): SparkyError | undefined {
	for (const name of ["day", "month"] as const) {
		const p = status[name];
		if (p.cap_usd === null || p.spent_usd < p.cap_usd) continue;
		const when = new Date(p.resets_at).toISOString().replace(".000Z", "Z");
		return new SparkyError(
			"payment_required",
			ErrorCode.budgetExceeded,
			`you have spent $${p.spent_usd.toFixed(2)} of your ${name === "day" ? "daily" : "monthly"} budget of $${p.cap_usd.toFixed(2)}; it resets at ${when}`,
			{ period: name, cap_usd: p.cap_usd, spent_usd: p.spent_usd, resets_at: p.resets_at } satisfies BudgetExceeded,
		);
	}
	return undefined;
}
