/**
 * The user's open HTTP streams (SSE follows, AG-UI runs, long polls), each a lease that the
 * Worker serving it renews while it streams and gives back when it ends. A Worker that dies
 * without giving one back loses it when it lapses. In memory, like the rate buckets: a hub that
 * restarts forgets its leases (the streams it counted renew them), which errs on the open side.
 */
/** A lease not renewed for this long lapses (its stream renews it every STREAM_RENEW_MS). */
export const STREAM_LEASE_MS = 60_000;
export const STREAM_RENEW_MS = 20_000;

export class StreamLeases {
	/** Lease id → when it lapses. */
	readonly #leases = new Map<string, number>();
	/** Marks the leases this wake of the hub handed out (a missing one of those has lapsed). */
	readonly #epoch = crypto.randomUUID().slice(0, 8);

	constructor(
		private readonly max: number,
		private readonly ttlMs: number,
	) {}

	/** A new lease, or how many are open when the cap is reached. */
	open(now: number): { ok: true; lease: string } | { ok: false; open: number; limit: number } {
		this.#drop(now);
		if (this.#leases.size >= this.max) return { ok: false, open: this.#leases.size, limit: this.max };
		const lease = `${this.#epoch}.${crypto.randomUUID()}`;
		this.#leases.set(lease, now + this.ttlMs);
		return { ok: true, lease };
	}

	/**
	 * Keeps a lease. One this hub handed out and dropped has lapsed (its stream went quiet for
	 * longer than the lease, e.g. a client that stopped reading): false, the stream must end.
	 * One from before a restart is taken back while there is room: that stream is still open.
	 */
	renew(lease: string, now: number): boolean {
		if (this.#leases.has(lease)) {
			this.#leases.set(lease, now + this.ttlMs);
			return true;
		}
		if (lease.startsWith(`${this.#epoch}.`) || this.count(now) >= this.max) return false;
		this.#leases.set(lease, now + this.ttlMs);
		return true;
	}

	close(lease: string): void {
		this.#leases.delete(lease);
	}

	count(now: number): number {
		this.#drop(now);
		return this.#leases.size;
	}

	#drop(now: number): void {
		for (const [lease, lapsesAt] of this.#leases) if (lapsesAt <= now) this.#leases.delete(lease);
	}
}
