import { ADMIN_SECRET_TOKEN_ID } from "../auth/types.ts";
import { conflict } from "../errors.ts";
import { STREAM_RENEW_MS } from "../hub/stream-leases.ts";
import { hubFor } from "../hub/stub.ts";
import type { AuthContext } from "../protocol/index.ts";
import { isTokenLive } from "../storage/tokens.ts";

/** A stream looks at its token again before it sends anything, at most this often (one D1 read). */
export const TOKEN_RECHECK_MS = 1_000;
/**
 * The longest a stream waits for its next event before looking at its token anyway: a revoked
 * token's quiet stream ends within this long, a busy one within TOKEN_RECHECK_MS.
 */
export const STREAM_WAIT_MS = 5_000;

/** Whether a stream may go on; if not, why (`unauthorized`: the token; `stream_lapsed`: its lease). */
export type StreamAccess = { ok: true } | { ok: false; code: "unauthorized" | "stream_lapsed"; reason: string };

/**
 * One open HTTP stream of a user's (SSE follow, AG-UI run, long poll): counted against
 * SPARKY_MAX_STREAMS on the user's hub, and asked again, while it lasts, whether the token it
 * was opened with still opens doors. A request is authenticated once; a stream may last a day.
 */
export class StreamGuard {
	#checkedAt: number;
	#renewedAt: number;
	#closed = false;

	private constructor(
		private readonly env: Env,
		private readonly auth: AuthContext,
		private readonly lease: string,
		private readonly ctx: Pick<ExecutionContext, "waitUntil">,
		now: number,
	) {
		this.#checkedAt = now;
		this.#renewedAt = now;
	}

	/** Opens one; a 409 naming the cap when the user has SPARKY_MAX_STREAMS open already. */
	static async open(env: Env, auth: AuthContext, ctx: Pick<ExecutionContext, "waitUntil">): Promise<StreamGuard> {
		const opened = await hubFor(env, auth.userId).openStream();
		if (!opened.ok) {
			throw conflict(`you have ${opened.open} open streams, the most one user may have; close one first`, {
				limit: opened.limit,
				cap: "SPARKY_MAX_STREAMS",
			});
		}
		return new StreamGuard(env, auth, opened.lease, ctx, Date.now());
	}

	/**
	 * Whether the stream may go on: the token hasn't expired, and (looked up at most every
	 * TOKEN_RECHECK_MS, or now with `force`) hasn't been revoked. Renews the lease on the way.
	 */
	async access({ force = false } = {}): Promise<StreamAccess> {
		const now = Date.now();
		const { tokenExpiresAt, tokenId } = this.auth;
		if (tokenExpiresAt !== null && tokenExpiresAt <= now)
			return { ok: false, code: "unauthorized", reason: "the token has expired" };
		if (now - this.#renewedAt >= STREAM_RENEW_MS) {
			this.#renewedAt = now;
			// A hub that can't be reached right now doesn't end the stream: the lease has slack.
			const kept = await hubFor(this.env, this.auth.userId)
				.renewStream(this.lease)
				.catch(() => true);
			if (!kept)
				return { ok: false, code: "stream_lapsed", reason: "the stream went unread past its lease; open it again" };
		}
		// The bootstrap secret is configuration: changing it replaces the Worker, and its streams.
		if (tokenId === ADMIN_SECRET_TOKEN_ID) return { ok: true };
		if (!force && now - this.#checkedAt < TOKEN_RECHECK_MS) return { ok: true };
		this.#checkedAt = now;
		if (!(await isTokenLive(this.env.DB, tokenId, now)))
			return { ok: false, code: "unauthorized", reason: "the token was revoked or has expired" };
		return { ok: true };
	}

	/** Gives the lease back (once; the hub's call is not waited for). */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.ctx.waitUntil(
			hubFor(this.env, this.auth.userId)
				.closeStream(this.lease)
				.catch(() => undefined),
		);
	}
}
