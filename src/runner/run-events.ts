import { type AgUiEvent, CustomName, EventType, sparkyEvent, type TypedPublishEvent } from "../protocol/index.ts";
import type { Relay } from "../relay/relay.ts";
import { inSummaryView } from "../tasks/summary-view.ts";

/** Who hears a run: hubs that keep its whole stream, and hubs that get its summary. */
export interface RunAudience {
	stream: readonly string[];
	summary: readonly string[];
}

/**
 * Wraps one run's AG-UI events in Sparky's envelope: what they belong to, when, and an id
 * that is stable for this run (`<task>:<attempt>:<n>`), so a retried publish stores once.
 */
export class RunEmitter {
	#n = 0;

	constructor(
		readonly relay: Relay,
		readonly audience: RunAudience,
		readonly envelope: { task_id?: string; chat_id?: string; attempt?: number },
		readonly runId: string,
		readonly now: () => number = Date.now,
	) {}

	emit(event: AgUiEvent): void {
		const wrapped: TypedPublishEvent = {
			...event,
			...this.envelope,
			id: `${this.runId}:${++this.#n}`,
			ts: this.now(),
		};
		this.relay.emit(this.audience.stream, wrapped);
		if (this.audience.summary.length === 0) return;
		if (inSummaryView(wrapped)) this.relay.emit(this.audience.summary, wrapped);
		// A summary hub doesn't get results (they are the run's words); it hears that the call ended.
		else if (event.type === EventType.TOOL_CALL_RESULT)
			this.relay.emit(this.audience.summary, {
				...sparkyEvent(CustomName.toolEnded, { toolCallId: String(event.toolCallId) }),
				...this.envelope,
				id: `${wrapped.id}:ended`,
				ts: wrapped.ts,
			});
	}

	/** Events that already carry their own stable id (task status changes): every hub hears them. */
	emitWithId(event: TypedPublishEvent): void {
		this.relay.emit([...this.audience.summary, ...this.audience.stream], event);
	}
}
