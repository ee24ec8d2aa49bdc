// Waiting on a socket's state: `until(check, ms)` resolves true as soon as `check()` holds after
// a message (`notify()`), or false after `ms`.
export function waiters() {
	const pending = new Set();
	return {
		/** Call after each message: every waiter whose check now holds resolves. */
		notify() {
			for (const waiter of [...pending]) waiter();
		},
		until(check, timeoutMs) {
			return new Promise((resolve) => {
				const done = () => {
					if (!check()) return;
					pending.delete(done);
					clearTimeout(timer);
					resolve(true);
				};
				const timer = setTimeout(() => {
					pending.delete(done);
					resolve(false);
				}, timeoutMs);
				pending.add(done);
				done();
			});
		},
	};
}
