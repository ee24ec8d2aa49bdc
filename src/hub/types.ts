/** What the hub's RPC methods answer. */
export interface PublishResult {
	seqs: number[];
	last_seq: number;
	/** How far apart (ms) the writer should space its next calls to this hub; 0: no pace (hub/intake-pace.ts). */
	pace_ms: number;
}

/** The hub's counters (`UserHubApi.diagnostics`): for the bench and tests, never a decision. */
export interface HubDiagnostics {
	sockets: number;
	/** Open HTTP streams (SSE, AG-UI, long polls) counted against SPARKY_MAX_STREAMS. */
	streams: number;
	events: number;
	oldest_seq: number;
	last_seq: number;
	/** Which wake of the object the counters below belong to (they start at 0 on each). */
	woke_at: number;
	/** Since the object last woke: publish calls, events stored, and the event log's billed SQLite rows. */
	publishes: number;
	/** Writers heard from in the last second, the tasks their events were of, and the pace the hub asks now (hub/intake-pace.ts). */
	writers: number;
	streaming_tasks: number;
	pace_ms: number;
	events_stored: number;
	rows_written: number;
	rows_read: number;
}
