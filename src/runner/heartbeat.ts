import { log } from "../log.ts";

export interface HeartbeatOptions {
	/** How often to look for a cancel request (a cheap read). */
	checkMs: number;
	/** How often to extend the lease (a write). */
	renewMs: number;
	/** Reads whether the task was asked to stop; null when the run lost the task. */
	check: () => Promise<{ cancelRequested: boolean } | null>;
	renew: () => Promise<boolean>;
	/** Called once, with why the run must stop. */
	stop: (why: "cancelled" | "lease_lost") => void;
}

/** Keeps a running task's lease alive and notices cancellation, until stopped. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
	let stopped = false;
	let lastRenew = Date.now();
	let busy = false;
	const finish = (why: "cancelled" | "lease_lost") => {
		if (stopped) return;
		stopped = true;
		clearInterval(timer);
		options.stop(why);
	};
	const timer = setInterval(async () => {
		if (stopped || busy) return;
		busy = true;
		try {
			if (Date.now() - lastRenew >= options.renewMs) {
				if (!(await options.renew())) return finish("lease_lost");
				lastRenew = Date.now();
			}
			const state = await options.check();
			if (state === null) finish("lease_lost");
			else if (state.cancelRequested) finish("cancelled");
		} catch (error) {
			// A failed check is not a reason to stop; the lease has slack for a few misses.
			log.warn("heartbeat check failed", { error });
		} finally {
			busy = false;
		}
	}, options.checkMs);
	return () => {
		stopped = true;
		clearInterval(timer);
	};
}
