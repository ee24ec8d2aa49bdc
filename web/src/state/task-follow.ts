import { type ClientEvent, endsTask } from "../../../src/protocol/index.ts";
import type { Api } from "../lib/api.ts";

/** How long one long poll waits on the server for the task's next events. */
const WAIT_SECONDS = 20;
/** Pause after a failed poll (the network, a restarting server) before the next. */
const RETRY_MS = 2000;

/**
 * Follows one task's whole stream where it is kept (its creator's hub), for a viewer whose
 * own hub gets only the task's summary: the `agent` user watching someone's task, an admin
 * opening another user's. Long polls `GET /api/tasks/:id/events?since=…&wait=…` from the
 * last seq it has until the task ends or `stop()`; every event goes to `onEvents` (the
 * timeline merges them with what the socket brings: same ids, ordered by run position).
 */
export class TaskFollower {
	readonly #abort = new AbortController();
	/** Ends the pause after a failed poll early (the connection is back). */
	#wake: (() => void) | undefined;

	constructor(
		readonly api: Api,
		readonly taskId: string,
		readonly onEvents: (events: ClientEvent[]) => void,
	) {}

	/** Runs until the task ends or `stop()`; `since` is the last seq already applied. */
	async run(since: number): Promise<void> {
		let cursor = since;
		const signal = this.#abort.signal;
		while (!signal.aborted) {
			let events: ClientEvent[];
			try {
				events = await this.api.taskEventsAfter(this.taskId, cursor, WAIT_SECONDS, signal);
			} catch {
				if (signal.aborted) return;
				await new Promise<void>((resolve) => {
					const timer = setTimeout(resolve, RETRY_MS);
					this.#wake = () => {
						clearTimeout(timer);
						resolve();
					};
				});
				this.#wake = undefined;
				continue;
			}
			if (signal.aborted) return;
			if (events.length === 0) continue;
			cursor = events.at(-1)?.seq ?? cursor;
			this.onEvents(events);
			if (events.some((e) => endsTask(e, this.taskId))) return;
		}
	}

	/** Polls again now if it is pausing after a failure (the page is back online). */
	wake(): void {
		this.#wake?.();
	}

	stop(): void {
		this.#abort.abort();
		this.#wake?.();
	}
}
