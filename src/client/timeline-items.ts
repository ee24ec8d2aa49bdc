import type { ApprovalStatus } from "../protocol/index.ts";

/** What a timeline is made of: the items a chat or task thread folds its events into. */

export type ThreadKey = `chat:${string}` | `task:${string}`;

/**
 * A tool call a run paused at, waiting for (or past) a person's decision. Built from the
 * `sparky.approval.requested`/`decided` events, `GET /api/tasks/:id`'s approvals and the
 * `RUN_FINISHED` interrupt outcome, whichever arrives first; a decision always wins over
 * `pending`, whatever the order.
 */
export interface ApprovalView {
	id: string;
	taskId?: string;
	/** The run (`<task>:<attempt>`) that paused for it. */
	runId?: string;
	/** The `TOOL_CALL_START.toolCallId` it is about. */
	toolCallId: string;
	tool: string;
	/** The tool call's input (parsed JSON), as the model gave it. */
	input: unknown;
	status: ApprovalStatus;
	message?: string;
	requestedAt?: number;
	expiresAt?: number;
	decidedAt?: number;
	decidedBy?: string;
	reason?: string;
	/** Whose decision it is (the task's creator; admins may decide background tasks' too). */
	owner?: string;
	/** Whether the viewer may decide it, when the API said (`can_decide`); events don't say. */
	canDecide?: boolean;
	/**
	 * What is asked: may this tool call run (`tool`), or may the task spend more than its budget
	 * (`budget`: `input` is `{spent_usd, budget_usd, more_usd, estimate_usd}`, no tool call goes
	 * with it). Absent until the API or an event has said; read as `tool`.
	 */
	kind?: "tool" | "budget";
}

/** The memories a run was given in its context (`sparky.memory.recalled`), pinned ones among them. */
export interface RecalledMemories {
	ids: string[];
	pinned: string[];
}

/**
 * A chat's older turns, summarised to fit the model (`sparky.context.compacted`, or
 * `GET /api/chats/:id/summaries`, which brings the text too).
 */
export interface SummaryView {
	id: string;
	/** Turns it covers, in all. */
	turns: number;
	/** The last turn it covers: the mark goes after it. */
	throughTurnId: string;
	content?: string;
	createdAt?: number;
}

/** One model call's tokens and cost (`sparky.usage`), as a line of its run shows them. */
export interface CallUsage {
	/** The task's model call number, 1-based over all its attempts. */
	step: number;
	/** The run (`<task>:<attempt>`) that made the call. */
	runId: string;
	/** `provider:model` as `SPARKY_MODEL` spells it. */
	model: string;
	inputTokens: number;
	outputTokens: number;
	cachedInputTokens: number;
	reasoningTokens: number;
	/** `null`: the model has no known price. */
	costUsd: number | null;
	/** The task so far, this call included (`null`: some call had no price). */
	taskCostUsd: number | null;
	/** How long the call took. */
	ms: number;
}

export type TimelineItem =
	| {
			kind: "message";
			id: string;
			role: "user" | "assistant";
			text: string;
			streaming: boolean;
			turnId?: string;
			ts: number;
	  }
	| { kind: "thought"; id: string; text: string; streaming: boolean; turnId?: string; ts: number }
	| {
			kind: "tool";
			id: string;
			name: string;
			args: string;
			result?: string;
			/** The approval this call waits for (or waited for). */
			approval?: ApprovalView;
			/** `running` until the result arrives. */
			state: "calling" | "running" | "done" | "error";
			turnId?: string;
			ts: number;
			endedTs?: number;
	  }
	| ({ kind: "usage"; id: string; turnId?: string; ts: number } & CallUsage)
	| {
			kind: "run";
			id: string;
			/**
			 * `interrupted`: its runner stopped responding (the task goes on in a next attempt).
			 * `awaiting_approval`: it paused at a tool call someone must approve; `paused` once
			 * every approval it waited for is decided (the next attempt carries on).
			 */
			state:
				| "running"
				| "succeeded"
				| "failed"
				| "cancelled"
				| "retrying"
				| "interrupted"
				| "awaiting_approval"
				| "paused";
			/** What it paused for (runs that ended with an interrupt). */
			approvals?: ApprovalView[];
			/** The memories it was given, when it was given any. */
			memories?: RecalledMemories;
			model?: string;
			/** Its tokens: what its end reported, or (while it runs) the sum of its model calls so far. */
			usage?: { inputTokens: number; outputTokens: number };
			/**
			 * Its model calls' cost so far (their `sparky.usage`): `null` when one had no known
			 * price, absent when no call has reported one (a server before #26).
			 */
			costUsd?: number | null;
			/** Model calls that have reported their usage. */
			calls?: number;
			error?: string;
			code?: string;
			turnId?: string;
			ts: number;
			endedTs?: number;
	  };
