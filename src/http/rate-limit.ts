import { createMiddleware } from "hono/factory";
import type { RateKind } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import type { AppEnv } from "./auth.ts";

/**
 * Per-user rate limit (after `requireAuth`) for what a route does that no service counts
 * itself: the user's own hub keeps the bucket, so one user's flood never spends anyone
 * else's allowance. 429 with Retry-After when empty. (Creating a task is counted inside
 * `createTask`, on every path.)
 */
export const rateLimit = (kind: RateKind) =>
	createMiddleware<AppEnv>(async (c, next) => {
		await spendRate({ rates: hubRates(c.env) }, c.var.auth.userId, kind);
		await next();
	});
