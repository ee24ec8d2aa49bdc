import { z } from "zod";
import { LIMITS } from "./limits.ts";

/** AG-UI's event types (`EventType.RUN_STARTED`, …): the protocol's words, never bare strings. */
export { EventType } from "@ag-ui/core";

/**
 * Sparky's envelope around an event. Agent events use AG-UI types and fields
 * (`TEXT_MESSAGE_CONTENT`, `TOOL_CALL_START`, ...); Sparky's own are AG-UI `CUSTOM`
 * events with a `name` from `CustomName`. The envelope adds what AG-UI lacks:
 * a per-user gap-free `seq`, a stable `id`, a timestamp, and what it belongs to.
 */
const envelopeFields = {
	/** AG-UI event type, e.g. `RUN_STARTED` or `CUSTOM`. Always upper case. */
	type: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "type: an AG-UI event type, upper case"),
	task_id: z.string().min(1).max(128).optional(),
	chat_id: z.string().min(1).max(128).optional(),
	/** Which run of a task (1-based) produced it. */
	attempt: z.number().int().positive().optional(),
};

/** What a producer hands to `UserHub.publish`: an event before the hub numbers it. */
export const PublishEventSchema = z
	.object({
		...envelopeFields,
		/** Producers that retry a publish pass a stable id; the hub stores an id once. */
		id: z
			.string()
			.regex(/^[A-Za-z0-9_.:-]{1,160}$/)
			.optional(),
		ts: z.number().int().nonnegative().optional(),
	})
	.loose();
export type PublishEvent = z.infer<typeof PublishEventSchema>;

export const PublishBatchSchema = z.array(PublishEventSchema).min(1).max(LIMITS.publishBatch);

/**
 * An event as stored by the hub and sent to clients. Loose on purpose: the hub stores and
 * forwards events without interpreting them. Producers and clients use the typed union
 * (`event-union.ts`: `AgUiEvent`, `KnownHubEvent`, `parseHubEvent`).
 */
export const HubEventSchema = z
	.object({
		...envelopeFields,
		/** Per user, starts at 1, increases by exactly 1: a gap means something was missed. */
		seq: z.number().int().positive(),
		id: z.string().min(1),
		/** Milliseconds since the epoch. */
		ts: z.number().int().nonnegative(),
	})
	.loose();
export type HubEvent = z.infer<typeof HubEventSchema>;
/** Same shape, for places that only carry events along (no strict checks on AG-UI fields). */
export const WireEventSchema = HubEventSchema;

/** Names of Sparky's own `CUSTOM` events. */
export const CustomName = {
	/** An admin's notice to a user (`POST /api/users/:id/events`); `value` is free-form. */
	notice: "sparky.notice",
	/** A task changed status; `value` is `{ status, attempt, error?, ... }`. */
	taskStatus: "sparky.task.status",
	/** A chat was created, renamed or deleted; `value` is `{ action, chat }`. */
	chat: "sparky.chat",
	/** A run paused at a tool call that needs a person's approval; `value` is `{ approval }`. */
	approvalRequested: "sparky.approval.requested",
	/** Someone approved or denied it, or it expired; `value` is `{ approval }`. */
	approvalDecided: "sparky.approval.decided",
	/** Inside an AG-UI run (`POST /api/ag-ui`): one attempt of the turn started; `value` is `{task_id, attempt, runId, model}`. */
	attempt: "sparky.attempt.started",
	/** Inside an AG-UI run: an attempt ended and another follows (`code` `retrying` or `interrupted`). */
	attemptError: "sparky.attempt.error",
	/** A run's MCP servers that are missing or whose tool lists were cut short; `value` is `{ unavailable, partial, needs_sign_in? }`. */
	mcpServers: "sparky.mcp.servers",
	/** A model call ended: its tokens and cost (`value`: `ModelCallUsage`, protocol/usage.ts). */
	usage: "sparky.usage",
	/** A run was given the user's memories in its context; `value` is `{ ids, pinned }`. */
	memoriesRecalled: "sparky.memory.recalled",
	/** A chat's older turns were summarised to fit the model; `value` is `{ summary_id, turns, through_turn_id }`. */
	contextCompacted: "sparky.context.compacted",
	/**
	 * A tool call's result arrived (`value`: `{ toolCallId }`). Only to hubs that get a run's
	 * summary (the `agent` user's), which don't get `TOOL_CALL_RESULT`: a board learns the call ended.
	 */
	toolEnded: "sparky.tool.ended",
} as const;

/** `HubEvent` as plain JSON (what crosses RPC and the wire), uninterpreted: clients parse it with `parseHubEvent`. */
export interface WireEvent {
	seq: number;
	id: string;
	ts: number;
	type: string;
	task_id?: string;
	chat_id?: string;
	attempt?: number;
	[field: string]: unknown;
}
