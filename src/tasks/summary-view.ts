import { EventType } from "../protocol/index.ts";

/**
 * What the `agent` user's hub gets of a run it only watches: how the run starts and ends,
 * its steps and the tools it calls (names, not arguments or results), every status change,
 * approval and notice. Not the tokens: text and reasoning deltas, tool arguments and results
 * stay on the hubs that keep the task's whole stream (its creator's, a chat owner's), where
 * `GET /api/tasks/:id/events` reads them for anyone who may see the task.
 *
 * One streaming run sends its creator's hub a call per model chunk; the agent hub, which
 * hears every run at once, gets a few events per step instead (docs/benchmarks.md).
 */
const SUMMARY_TYPES: ReadonlySet<string> = new Set([
	EventType.RUN_STARTED,
	EventType.RUN_FINISHED,
	EventType.RUN_ERROR,
	EventType.STEP_STARTED,
	EventType.STEP_FINISHED,
	EventType.TOOL_CALL_START,
	EventType.TOOL_CALL_END,
	EventType.CUSTOM,
]);

export const inSummaryView = (event: { type: string }): boolean => SUMMARY_TYPES.has(event.type);
