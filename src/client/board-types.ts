import type { AgentStatus, Approval, Task, TaskStatus } from "../protocol/index.ts";
import { isTerminal } from "../protocol/index.ts";

/** The board's shapes (src/client/board.ts is the reducer that fills them). */

export type BoardStatus = TaskStatus | "unknown";

export interface BoardApproval {
	id: string;
	tool: string;
	/** Whose decision it is (the task's creator; admins may decide too). */
	decider: string;
	requestedAt: number;
	expiresAt: number;
}

export interface BoardRow {
	id: string;
	kind: "task" | "chat" | undefined;
	/** The creator; "" until an event or the snapshot says. */
	userId: string;
	instruction: string;
	status: BoardStatus;
	attempt: number;
	model: string | undefined;
	createdAt: number | undefined;
	/** When it first started running (its first attempt's start). */
	startedAt: number | undefined;
	endedAt: number | undefined;
	/** Tool calls started in this attempt: the step it is on. */
	step: number;
	/** The tool it is calling now, since when (ms epoch). */
	tool: { name: string; callId: string; since: number } | undefined;
	/** The last tool it called (kept after the call ended): what the filter by tool matches too. */
	lastTool: string | undefined;
	/** Tokens so far: each model call's as it ends (`sparky.usage`), the task's total once it ends. */
	tokens: number | undefined;
	/** Dollars so far (the task's, all attempts); `null`: its model has no price; undefined: not heard. */
	costUsd: number | null | undefined;
	/** Until when `tokens` came from a snapshot: a model call before it is in there already. */
	tokensAt: number;
	/** Attempts whose model calls were heard one by one (their run's end adds nothing more). */
	usageAttempts: number[];
	approvals: BoardApproval[];
	error: string | undefined;
	/** When the last event about it happened. */
	lastTs: number;
	/** The `ts` of the status that is shown (a status older than this is ignored). */
	statusTs: number;
}

export interface BoardCounts {
	running: number;
	queued: number;
	waiting: number;
	/** Awaiting approval. */
	approval: number;
	failedLastHour: number;
}

export interface BoardFilter {
	creator?: string;
	/** A status, or `active` (anything not ended). */
	status?: BoardStatus | "active";
	tool?: string;
}

export interface BoardView {
	/** Waiting for a person's decision: shown on top. */
	approvals: BoardRow[];
	/** Running, longest-running first. */
	running: BoardRow[];
	/** Queued or waiting (for dependencies), longest wait first. */
	queued: BoardRow[];
	/** Ended, most recent first. */
	ended: BoardRow[];
	counts: BoardCounts;
	/** Every creator and tool on the board, sorted: the filters' choices. */
	creators: string[];
	tools: string[];
}

export interface BoardSnapshot {
	status?: Pick<AgentStatus, "running" | "recent_failures" | "counts">;
	tasks?: Task[];
	/** Pending approvals (e.g. from `GET /api/tasks/:id`), if known. */
	approvals?: Approval[];
	/** When it was asked for (ms epoch): rows not touched since are replaced by it. */
	at: number;
	/**
	 * `tasks` holds every task not ended (every page of each active status): an active row it
	 * lacks, not heard of since `at`, ended while nobody listened and leaves the board.
	 */
	complete?: boolean;
}

export interface BoardOptions {
	/** How long an ended task stays (default 10 minutes). */
	endedKeepMs?: number;
	/** At most this many ended tasks (default 200). */
	endedMax?: number;
	/** Event ids remembered for deduplication (default 20,000). */
	seenMax?: number;
}

export function isEnded(status: BoardStatus): boolean {
	return status !== "unknown" && isTerminal(status);
}

/** Whether a row passes the board's filters. */
export function matchesFilter(row: BoardRow, filter: BoardFilter): boolean {
	if (filter.creator && row.userId !== filter.creator) return false;
	if (filter.status === "active" && isEnded(row.status)) return false;
	if (filter.status && filter.status !== "active" && row.status !== filter.status) return false;
	if (filter.tool && (row.tool?.name ?? row.lastTool) !== filter.tool) return false;
	return true;
}
