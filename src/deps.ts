import type { RateKind } from "./config.ts";
import { rateLimited } from "./errors.ts";
import { hubFor } from "./hub/stub.ts";
import { hubRelay } from "./relay/hub-relay.ts";
import type { Relay } from "./relay/relay.ts";

/** Takes one unit of a user's rate for `kind` (the bucket lives in the user's hub). */
export type RateTaker = (userId: string, kind: RateKind) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;

/** What a service call needs: the Worker's bindings, the one way out to the hubs, and the users' rates. */
export interface Deps {
	env: Env;
	relay: Relay;
	rates: RateTaker;
	/**
	 * Keeps work alive after the caller's answer (the queue handler's or a request's
	 * `ctx.waitUntil`), where there is one: a webhook's first attempt (webhooks/service.ts).
	 */
	waitUntil?: (promise: Promise<unknown>) => void;
}

/** The rates by RPC to each user's hub. */
export const hubRates =
	(env: Env): RateTaker =>
	(userId, kind) =>
		hubFor(env, userId).takeRate(kind);

/**
 * Deps for one request or job: events leave through a relay of its own (`hubRelay`), by RPC
 * to each hub (or through the first hub of the audience, for what it passes on to the agent's).
 */
export function depsFor(env: Env, relay = hubRelay(env), rates = hubRates(env)): Deps {
	return { env, relay, rates };
}

const WHAT: Record<RateKind, string> = {
	tasks: "new tasks",
	chat: "chat messages",
	chats: "new chats",
	schedules: "schedule changes",
	sockets: "new sockets",
	tickets: "socket tickets",
	history: "history reads and replays",
	tokens: "new tokens",
	decisions: "approval decisions",
	mcp: "MCP server changes",
	memories: "memory changes",
	files: "uploads",
	apps: "app connections",
	registrations: "OAuth client registrations",
};

/**
 * The one limiter every path that creates something passes (HTTP, socket frames, tools, the
 * clock): throws `rate_limited` (429 with Retry-After, or an `error` frame) when `userId`'s
 * bucket for `kind` is empty.
 */
export async function spendRate(deps: Pick<Deps, "rates">, userId: string, kind: RateKind): Promise<void> {
	const rate = await deps.rates(userId, kind);
	if (!rate.ok) throw rateRefused(kind, rate.retryAfterMs);
}

/** The `rate_limited` error for `kind`, for a caller that took the rate itself (the hub's own buckets). */
export function rateRefused(kind: RateKind, retryAfterMs: number) {
	return rateLimited(WHAT[kind], retryAfterMs);
}
