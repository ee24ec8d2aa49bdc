import type { BudgetStatus, UsageReport, User, UserBudgetBody } from "../../../src/protocol/index.ts";
import { type Api, describeError } from "../lib/api.ts";
import { type Period, periodSince, usagePath } from "../lib/usage.ts";

/** How many tasks "Top tasks by cost" lists. */
export const TOP_TASKS = 10;

/** What the Usage panel shows for one period (and, for an admin, one user or everyone). */
export interface UsageReports {
	since: number;
	days: UsageReport;
	models: UsageReport;
	tasks: UsageReport;
	/** Admins looking at everyone: usage per user. */
	users?: UsageReport;
}

/**
 * The Usage panel's data: the reports of the chosen period (`GET /api/usage`, by day, model,
 * task, and for admins by user), the viewer's own budget (`GET /api/me/budget`) and, for
 * admins, the users to pick from. A period asked for before the latest is dropped when it
 * arrives late.
 */
export class UsageState {
	period: Period = 30;
	/** Admins: whose usage (undefined: everyone's). */
	user: string | undefined;
	reports: UsageReports | undefined;
	budget: BudgetStatus | undefined;
	users: User[] | undefined;
	loading = false;
	error: string | undefined;
	budgetError: string | undefined;
	#generation = 0;

	constructor(
		readonly api: Api,
		readonly admin: boolean,
		readonly changed: () => void,
		readonly now: () => number = Date.now,
	) {}

	/** Everything, the first time. */
	async start(): Promise<void> {
		await Promise.all([this.load(), this.loadBudget(), this.admin ? this.#loadUsers() : undefined]);
	}

	setPeriod(period: Period): Promise<void> {
		this.period = period;
		return this.load();
	}

	setUser(user: string | undefined): Promise<void> {
		this.user = user;
		return this.load();
	}

	/** The reports of the current period (and user). */
	async load(): Promise<void> {
		const generation = ++this.#generation;
		const since = periodSince(this.period, this.now());
		const user = this.admin ? this.user : undefined;
		const get = (by: "day" | "model" | "task" | "user", limit?: number) =>
			this.api.request<UsageReport>("GET", usagePath(by, since, { user, limit }));
		this.loading = true;
		this.changed();
		try {
			const [days, models, tasks, users] = await Promise.all([
				get("day"),
				get("model"),
				get("task", TOP_TASKS),
				this.admin && !user ? get("user") : undefined,
			]);
			if (generation !== this.#generation) return;
			this.reports = { since, days, models, tasks, ...(users ? { users } : {}) };
			this.error = undefined;
		} catch (cause) {
			if (generation !== this.#generation) return;
			this.error = describeError(cause);
		} finally {
			if (generation === this.#generation) {
				this.loading = false;
				this.changed();
			}
		}
	}

	/** The viewer's own budget and spend. */
	async loadBudget(): Promise<void> {
		try {
			this.budget = await this.api.request<BudgetStatus>("GET", "/api/me/budget");
			this.budgetError = undefined;
		} catch (cause) {
			this.budgetError = describeError(cause);
		}
		this.changed();
	}

	async #loadUsers(): Promise<void> {
		try {
			this.users = (await this.api.request<{ users: User[] }>("GET", "/api/users")).users;
		} catch {
			// The filter offers "everyone" only; the reports say what went wrong, if anything did.
		}
		this.changed();
	}
}

/** A user's budget (admins): `GET /api/users/:id/budget`. */
export function userBudget(api: Api, userId: string): Promise<BudgetStatus> {
	return api.request<BudgetStatus>("GET", `/api/users/${encodeURIComponent(userId)}/budget`);
}

/** Sets a user's caps (admins); `null` falls back to the server's default. */
export function setUserBudget(api: Api, userId: string, body: UserBudgetBody): Promise<BudgetStatus> {
	return api.request<BudgetStatus>("PUT", `/api/users/${encodeURIComponent(userId)}/budget`, body);
}
