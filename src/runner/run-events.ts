import type { AgUiEvent, PublishEvent } from "../protocol/index.ts";
import type { Relay } from "../relay/relay.ts";

/**
 * Wraps one run's AG-UI events in Sparky's envelope: what they belong to, when, and an id
 * that is stable for this run (`<task>:<attempt>:<n>`), so a retried publish stores once.
 */
export class RunEmitter {
	#n = 0;

	constructor(
		readonly relay: Relay,
		/** Whose hubs see this run (the task's audience). */
		readonly audience: readonly string[],
		readonly envelope: { task_id?: string; chat_id?: string; attempt?: number },
		readonly runId: string,
		readonly now: () => number = Date.now,
	) {}

	emit(event: AgUiEvent): void {
		this.relay.emit(this.audience, {
			...event,
			...this.envelope,
			id: `${this.runId}:${++this.#n}`,
			ts: this.now(),
		} as PublishEvent);
	}

	/** Events that already carry their own stable id (task status changes). */
	emitWithId(event: PublishEvent): void {
		this.relay.emit(this.audience, event);
	}
}
