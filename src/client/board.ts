import {
	type Approval,
	type ClientEvent,
	CustomName,
	EventType,
	isTerminal,
	type Task,
	type TaskStatus,
	type TaskStatusValue,
} from "../protocol/index.ts";
import { MINUTE, MinuteCounts } from "./board-minutes.ts";
import { addUsage, applyApproval, newRow, setStatus, toolEnded } from "./board-row.ts";
import {
	type BoardCounts,
	type BoardFilter,
	type BoardOptions,
	type BoardRow,
	type BoardSnapshot,
	type BoardView,
	isEnded,
	matchesFilter,
} from "./board-types.ts";

export * from "./board-types.ts";

/**
 * The agent's live board (issue #31), as state: what the page's board and `sparky agent top`
 * show, built from the `agent` user's hub (its summary of every run: docs/protocol.md, "What
 * reaches which hub"). Pure and portable: no DOM, no Node, no clock of its own (`now` is given).
 *
 * Feed it, in this order:
 * 1. `board.load(snapshot)` with what the API says now: `GET /api/agent/status` (`status`),
 *    and `GET /api/tasks?kind=all&status=…` for `running`, `awaiting_approval`, `queued`,
 *    `waiting` (and, if wanted, recent `succeeded`/`failed`/`cancelled`) as `tasks`, `at` the
 *    time it was asked. Load it again after a `replay.truncated` (events were missed).
 * 2. `board.apply(event)` for each event off the hub socket (`HubClient`'s `onEvent`), live
 *    and replayed. Idempotent: an event id seen before is ignored, a task's status never goes
 *    back in time (its `ts`), and an ended task stays ended, so a replay after a reconnect
 *    that repeats what the snapshot already had changes nothing, and an end that happened
 *    while the socket was down shows once the replay brings it.
 * 3. Read it: `board.view(now, filter)` (sections of rows, counts, facets), `board.series(now)`
 *    (started/ended per minute, last hour), `board.version` (changes whenever state did: redraw
 *    when it moved). Call `board.prune(now)` now and then (every few seconds): ended tasks
 *    leave after `endedKeepMs` or past `endedMax` rows, so memory stays bounded.
 */

export class Board {
	readonly #rows = new Map<string, BoardRow>();
	readonly #seen = new Set<string>();
	/** Tasks whose start the chart has counted (deleted with their row). */
	readonly #startCounted = new Set<string>();
	/** Ended tasks pruned from the board: a late event about one doesn't bring it back (bounded like `#seen`). */
	readonly #gone = new Set<string>();
	/** Started/ended/failed per minute (for the chart and the failed count). */
	readonly #minutes = new MinuteCounts();
	readonly #endedKeepMs: number;
	readonly #endedMax: number;
	readonly #seenMax: number;
	#version = 0;
	#lastSeq = 0;

	constructor(options: BoardOptions = {}) {
		this.#endedKeepMs = options.endedKeepMs ?? 10 * MINUTE;
		this.#endedMax = options.endedMax ?? 200;
		this.#seenMax = options.seenMax ?? 20_000;
	}

	/** Changes whenever the state did. */
	get version(): number {
		return this.#version;
	}
	/** The highest seq applied (the socket's cursor). */
	get lastSeq(): number {
		return this.#lastSeq;
	}
	get size(): number {
		return this.#rows.size;
	}
	row(id: string): BoardRow | undefined {
		return this.#rows.get(id);
	}

	/** What the API says now; rows untouched since `at` take the snapshot's word. */
	load(snapshot: BoardSnapshot): void {
		for (const task of snapshot.tasks ?? []) this.#loadTask(task, snapshot.at);
		for (const r of snapshot.status?.running ?? []) {
			const row = this.#ensure(r.id);
			if (row.lastTs > snapshot.at) continue;
			row.userId = r.user_id;
			row.instruction ||= r.instruction;
			row.attempt = Math.max(row.attempt, r.attempt);
			row.startedAt ??= r.started_at ?? undefined;
			if (!isEnded(row.status)) setStatus(row, "running", snapshot.at);
		}
		for (const f of snapshot.status?.recent_failures ?? []) {
			if (f.finished_at === null || this.#rows.has(f.id)) continue;
			const row = this.#ensure(f.id);
			row.userId = f.user_id;
			row.error = f.error ?? undefined;
			this.#end(row, "failed", f.finished_at);
		}
		for (const approval of snapshot.approvals ?? []) this.#approval(approval);
		if (snapshot.complete) {
			const listed = new Set((snapshot.tasks ?? []).map((t) => t.id));
			for (const row of [...this.#rows.values()]) {
				if (!isEnded(row.status) && !listed.has(row.id) && row.lastTs <= snapshot.at) this.#drop(row.id);
			}
		}
		this.#version++;
	}

	/** One event off the agent hub; returns whether it changed the board. */
	apply(event: ClientEvent): boolean {
		if (this.#seen.has(event.id)) return false;
		this.#remember(event.id);
		if (event.seq > this.#lastSeq) this.#lastSeq = event.seq;
		const changed = this.#applyNew(event);
		if (changed) this.#version++;
		return changed;
	}

	/** Drops ended tasks older than `endedKeepMs`, then the oldest past `endedMax`, and old chart minutes. */
	prune(now: number): void {
		const ended = [...this.#rows.values()].filter((r) => isEnded(r.status));
		ended.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
		let dropped = 0;
		ended.forEach((row, i) => {
			if (i >= this.#endedMax || (row.endedAt ?? 0) < now - this.#endedKeepMs) {
				this.#drop(row.id);
				dropped++;
			}
		});
		this.#minutes.prune(now);
		if (dropped) this.#version++;
	}

	view(now: number, filter: BoardFilter = {}): BoardView {
		const view: BoardView = {
			approvals: [],
			running: [],
			queued: [],
			ended: [],
			counts: this.counts(now),
			creators: [],
			tools: [],
		};
		const creators = new Set<string>();
		const tools = new Set<string>();
		for (const row of this.#rows.values()) {
			if (row.userId) creators.add(row.userId);
			const tool = row.tool?.name ?? row.lastTool;
			if (tool) tools.add(tool);
			if (!matchesFilter(row, filter)) continue;
			if (row.status === "awaiting_approval" || row.approvals.length > 0) view.approvals.push(row);
			else if (row.status === "running") view.running.push(row);
			else if (row.status === "queued" || row.status === "waiting") view.queued.push(row);
			else if (isEnded(row.status)) view.ended.push(row);
			else view.running.push(row); // "unknown": heard of, status not yet known
		}
		const since = (r: BoardRow) => r.startedAt ?? r.createdAt ?? r.lastTs;
		view.approvals.sort(
			(a, b) => (a.approvals[0]?.requestedAt ?? a.lastTs) - (b.approvals[0]?.requestedAt ?? b.lastTs),
		);
		view.running.sort((a, b) => since(a) - since(b) || a.id.localeCompare(b.id));
		view.queued.sort((a, b) => (a.createdAt ?? a.lastTs) - (b.createdAt ?? b.lastTs) || a.id.localeCompare(b.id));
		view.ended.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0) || a.id.localeCompare(b.id));
		view.creators = [...creators].sort();
		view.tools = [...tools].sort();
		return view;
	}

	counts(now: number): BoardCounts {
		const counts: BoardCounts = { running: 0, queued: 0, waiting: 0, approval: 0, failedLastHour: 0 };
		for (const row of this.#rows.values()) {
			if (row.status === "running") counts.running++;
			else if (row.status === "queued") counts.queued++;
			else if (row.status === "waiting") counts.waiting++;
			else if (row.status === "awaiting_approval") counts.approval++;
		}
		counts.failedLastHour = this.#minutes.failedLastHour(now);
		return counts;
	}

	/** Tasks started and ended in each of the last 60 minutes, oldest first (index 59: this minute). */
	series(now: number): { minute: number; started: number; ended: number }[] {
		return this.#minutes.series(now);
	}

	#applyNew(event: ClientEvent): boolean {
		const taskId = event.task_id;
		if (!taskId || this.#gone.has(taskId)) return false;
		if (event.type === EventType.CUSTOM && event.name === CustomName.taskStatus) {
			return this.#status(event.value as TaskStatusValue, event.ts);
		}
		if (event.type === EventType.CUSTOM && event.name === CustomName.approvalRequested) {
			return this.#approval(event.value.approval as Approval);
		}
		if (event.type === EventType.CUSTOM && event.name === CustomName.approvalDecided) {
			return this.#approval(event.value.approval as Approval);
		}
		const row = this.#ensure(taskId);
		if (isEnded(row.status)) return false; // an ended task stays ended
		const attempt = event.attempt ?? row.attempt;
		if (attempt < row.attempt) return false; // an earlier attempt's late event
		row.lastTs = Math.max(row.lastTs, event.ts);
		switch (event.type) {
			case EventType.RUN_STARTED:
				if (attempt > row.attempt) row.step = 0;
				row.attempt = attempt;
				row.model = event.model ?? row.model;
				row.tool = undefined;
				this.#started(row, event.ts);
				setStatus(row, "running", event.ts);
				return true;
			case EventType.TOOL_CALL_START:
				row.attempt = attempt;
				row.step++;
				row.tool = { name: event.toolCallName, callId: event.toolCallId, since: event.ts };
				row.lastTool = event.toolCallName;
				if (row.status === "unknown" || row.status === "queued") setStatus(row, "running", event.ts);
				return true;
			case EventType.TOOL_CALL_END:
				// AG-UI's end of the call's arguments, not of its run: the tool is still working.
				return false;
			case EventType.TOOL_CALL_RESULT:
				// A hub with the task's whole stream (the creator's) hears the result itself…
				return toolEnded(row, String(event.toolCallId));
			case EventType.CUSTOM:
				// …the agent's hub, which gets the run's summary, hears that the call ended.
				if (event.name === CustomName.toolEnded) return toolEnded(row, String(event.value.toolCallId));
				if (event.name === CustomName.usage) return addUsage(row, event.value, attempt, event.ts);
				return false;
			case EventType.RUN_FINISHED:
			case EventType.RUN_ERROR: {
				row.tool = undefined;
				const usage = (event as { usage?: { totalTokens?: number }[] }).usage;
				// Its calls were counted one by one as they ended: the run's total would count them twice.
				if (Array.isArray(usage) && !row.usageAttempts.includes(attempt)) {
					const total = usage.reduce((sum, u) => sum + (u.totalTokens ?? 0), 0);
					row.tokens = (row.tokens ?? 0) + total;
				}
				if (event.type === EventType.RUN_ERROR) row.error = event.message;
				return true;
			}
			default:
				return false;
		}
	}

	#status(value: TaskStatusValue, ts: number): boolean {
		const row = this.#ensure(value.task_id);
		row.userId = value.user_id || row.userId;
		row.kind = value.kind ?? row.kind;
		if (value.instruction) row.instruction = value.instruction;
		if (value.model) row.model = value.model;
		if (value.usage) row.tokens = value.usage.total_tokens;
		row.lastTs = Math.max(row.lastTs, ts);
		if (isEnded(row.status) || ts < row.statusTs) return true; // older news: facts kept, status not
		if (value.attempt > row.attempt) row.step = 0;
		row.attempt = Math.max(row.attempt, value.attempt);
		if (value.error) row.error = value.error;
		if (value.status === "queued" && row.createdAt === undefined && value.attempt === 0) row.createdAt = ts;
		if (value.status === "running") this.#started(row, ts);
		if (isTerminal(value.status)) this.#end(row, value.status, ts);
		else setStatus(row, value.status, ts);
		if (value.status !== "running") row.tool = undefined;
		if (value.status !== "awaiting_approval") row.approvals = [];
		return true;
	}

	#approval(approval: Approval): boolean {
		return applyApproval(this.#ensure(approval.task_id), approval);
	}

	#loadTask(task: Task, at: number): void {
		const row = this.#ensure(task.id);
		row.kind = task.kind;
		row.userId = task.user_id;
		row.instruction = task.instruction;
		row.createdAt = task.created_at;
		row.startedAt ??= task.started_at ?? undefined;
		row.model = task.model ?? row.model;
		if (task.usage.total_tokens > 0) {
			row.tokens = task.usage.total_tokens;
			row.tokensAt = at;
		}
		if (task.usage.cost_usd !== undefined) row.costUsd = task.usage.cost_usd;
		if (row.lastTs > at || isEnded(row.status)) return; // the events know better
		row.attempt = Math.max(row.attempt, task.attempts);
		row.error = task.error ?? undefined;
		if (isTerminal(task.status)) this.#end(row, task.status, task.finished_at ?? task.updated_at);
		else setStatus(row, task.status, task.updated_at);
		if (task.started_at !== null) this.#started(row, task.started_at);
	}

	/** Counts a task's start once (the chart), whichever source tells it first. */
	#started(row: BoardRow, ts: number): void {
		row.startedAt = Math.min(row.startedAt ?? ts, ts);
		if (this.#startCounted.has(row.id)) return;
		this.#startCounted.add(row.id);
		this.#minutes.bump(ts, "started");
	}

	#end(row: BoardRow, status: TaskStatus, ts: number): void {
		if (isEnded(row.status)) return;
		row.status = status;
		row.statusTs = ts;
		row.endedAt = ts;
		row.tool = undefined;
		row.approvals = [];
		this.#minutes.bump(ts, "ended");
		if (status === "failed") this.#minutes.bump(ts, "failed");
	}

	#ensure(id: string): BoardRow {
		let row = this.#rows.get(id);
		if (!row) {
			row = newRow(id);
			this.#rows.set(id, row);
		}
		return row;
	}

	#drop(id: string): void {
		this.#rows.delete(id);
		this.#startCounted.delete(id);
		addBounded(this.#gone, id, this.#seenMax);
	}

	#remember(id: string): void {
		addBounded(this.#seen, id, this.#seenMax);
	}
}

function addBounded(set: Set<string>, id: string, max: number): void {
	set.add(id);
	if (set.size > max) {
		const oldest = set.values().next().value;
		if (oldest !== undefined) set.delete(oldest);
	}
}
