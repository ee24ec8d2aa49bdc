import { createMiddleware } from "hono/factory";
import { rateLimited } from "../errors.ts";
import type { RateKind } from "../hub/rate-limit.ts";
import { hubFor } from "../hub/stub.ts";
import type { AppEnv } from "./auth.ts";

const WHAT: Record<RateKind, string> = { tasks: "new tasks", chat: "chat messages" };

/**
 * Per-user rate limit (after `requireAuth`): the user's own hub keeps the bucket, so one
 * user's flood never spends anyone else's allowance. 429 with Retry-After when empty.
 */
export const rateLimit = (kind: RateKind) =>
	createMiddleware<AppEnv>(async (c, next) => {
		const rate = await hubFor(c.env, c.var.auth.userId).takeRate(kind);
		if (!rate.ok) throw rateLimited(WHAT[kind], rate.retryAfterMs);
		await next();
	});
