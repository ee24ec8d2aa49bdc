import { Hono } from "hono";
import { z } from "zod";
import { invalid, notFound } from "../errors.ts";
import { type AppEnv, requireAdmin, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf, queryOf } from "../http/validate.ts";
import { UsageQuerySchema, type UsageReport, UserBudgetBodySchema, UserIdSchema } from "../protocol/index.ts";
import { setUserBudget, usageRows } from "../storage/usage.ts";
import { getUser } from "../storage/users.ts";
import { budgetStatus } from "../usage/budget.ts";

const DAY_MS = 86_400_000;
/** The longest range one report sums (the ledger is read row by row). */
const MAX_RANGE_MS = 400 * DAY_MS;

/** `since` / `until`: milliseconds since the epoch, or an ISO date or date-time. */
function instant(value: string | undefined, fallback: number, name: string): number {
	if (value === undefined || value === "") return fallback;
	const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
	if (!Number.isFinite(ms)) throw invalid(`${name}: milliseconds since the epoch or an ISO date, got "${value}"`);
	return ms;
}

/** `GET /api/usage`: what model calls cost, summed per day, user, model or task. */
export const usageRoutes = new Hono<AppEnv>().get("/", requireAuth, queryOf(UsageQuerySchema), async (c) => {
	const q = c.req.valid("query");
	const { auth } = c.var;
	const now = Date.now();
	const until = instant(q.until, now, "until");
	const since = instant(q.since, until - 30 * DAY_MS, "since");
	if (since >= until) throw invalid("since must be before until");
	if (until - since > MAX_RANGE_MS) throw invalid(`a report covers at most ${MAX_RANGE_MS / DAY_MS} days`);
	// A user sees only their own spending; an admin everyone's, or one user's.
	const isAdmin = auth.role === "admin";
	if (!isAdmin && q.user !== undefined && q.user !== auth.userId) throw notFound(`user ${q.user}`);
	const userId = isAdmin ? q.user : auth.userId;
	const { rows, total } = await usageRows(c.env.DB, {
		by: q.by,
		since,
		until,
		userId,
		limit: q.limit,
		viewer: auth.userId,
	});
	const report: UsageReport = { by: q.by, since, until, rows, total };
	return c.json(report);
});

const UserParams = z.object({ id: UserIdSchema });

/** `GET /api/me/budget`: where the caller stands against their day and month caps. */
export const budgetRoutes = new Hono<AppEnv>()
	.get("/me/budget", requireAuth, async (c) => c.json(await budgetStatus(c.env, c.var.auth.userId)))
	.get("/users/:id/budget", requireAuth, requireAdmin, paramsOf(UserParams), async (c) => {
		const { id } = c.req.valid("param");
		if (!(await getUser(c.env.DB, id))) throw notFound(`user ${id}`);
		return c.json(await budgetStatus(c.env, id));
	})
	.put(
		"/users/:id/budget",
		requireAuth,
		requireAdmin,
		paramsOf(UserParams),
		jsonBody(UserBudgetBodySchema),
		async (c) => {
			const { id } = c.req.valid("param");
			if (!(await setUserBudget(c.env.DB, id, c.req.valid("json")))) throw notFound(`user ${id}`);
			return c.json(await budgetStatus(c.env, id));
		},
	);
