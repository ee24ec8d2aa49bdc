/**
 * Keyed wake-ups for long polls: `wait(key, ms)` resolves when `wake(key)` is called or the
 * time is up, whichever comes first. In memory; a hub that restarts drops its waiters, and
 * their callers (the SSE route) simply poll again.
 */
export class Waiters {
	readonly #byKey = new Map<string, Set<() => void>>();

	wait(key: string, timeoutMs: number): Promise<void> {
		return new Promise<void>((resolve) => {
			const waiters = this.#byKey.get(key) ?? new Set();
			this.#byKey.set(key, waiters);
			const done = () => {
				clearTimeout(timer);
				waiters.delete(done);
				if (waiters.size === 0) this.#byKey.delete(key);
				resolve();
			};
			const timer = setTimeout(done, Math.max(timeoutMs, 0));
			waiters.add(done);
		});
	}

	/** Wakes everyone waiting on any of `keys`. */
	wake(keys: Iterable<string | undefined>): void {
		if (this.#byKey.size === 0) return;
		for (const key of new Set(keys)) {
			if (key) for (const done of [...(this.#byKey.get(key) ?? [])]) done();
		}
	}
}
