import type { RateKind } from "../config.ts";

/** A token bucket: `burst` requests at once, refilled at `perMinute`. Pure; time is passed in. */
export class TokenBucket {
	#tokens: number;
	#updatedAt: number;

	constructor(
		private readonly perMinute: number,
		private readonly burst: number,
		now: number,
	) {
		this.#tokens = burst;
		this.#updatedAt = now;
	}

	/** Takes one token; when none is left, says how long until one is. */
	take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
		const refill = ((now - this.#updatedAt) / 60_000) * this.perMinute;
		this.#tokens = Math.min(this.burst, this.#tokens + Math.max(0, refill));
		this.#updatedAt = now;
		if (this.#tokens >= 1) {
			this.#tokens -= 1;
			return { ok: true };
		}
		return { ok: false, retryAfterMs: Math.ceil(((1 - this.#tokens) / this.perMinute) * 60_000) };
	}
}

export type { RateKind } from "../config.ts";

/** One token bucket per kind of action, made on first use from the hub's configured rates. */
export class RateBuckets {
	readonly #buckets = new Map<RateKind, TokenBucket>();

	constructor(private readonly rates: Record<RateKind, { perMinute: number; burst: number }>) {}

	take(kind: RateKind, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
		let bucket = this.#buckets.get(kind);
		if (!bucket) {
			const { perMinute, burst } = this.rates[kind];
			bucket = new TokenBucket(perMinute, burst, now);
			this.#buckets.set(kind, bucket);
		}
		return bucket.take(now);
	}
}
