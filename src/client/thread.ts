import {
	type Approval,
	type ChatMessage,
	type EventOf,
	EventType,
	type KnownHubEvent,
	type ModelCallUsage,
} from "../protocol/index.ts";
import { isErrorResult, joinDeltas, usageItemId, usageOf } from "./item-fields.ts";
import { sumCosts } from "./money.ts";
import { approvalFromApi, approvalFromInterrupt, linkApprovals, mergeApproval } from "./thread-approvals.ts";
import type { ApprovalView, RecalledMemories, TimelineItem } from "./timeline-items.ts";

export { usageItemId } from "./item-fields.ts";

/**
 * One chat's or task's timeline: its agent events and history rows folded into items. Pure
 * and idempotent like the `Timeline` that owns it; deduplication by event id happens there.
 */

interface ItemSlot {
	item: TimelineItem;
	/** Order within the turn: `orderOf` for items seen as events, ordinal for history rows. */
	order: number;
	/** Text deltas by `orderOf`, so deltas arriving out of order still read right. */
	deltas?: Map<number, string>;
	/** Complete text from history: wins over deltas. */
	finalText?: string;
}

type ToolEvent = EventOf<
	EventType.TOOL_CALL_START | EventType.TOOL_CALL_ARGS | EventType.TOOL_CALL_END | EventType.TOOL_CALL_RESULT
>;
type RunEvent = EventOf<EventType.RUN_STARTED | EventType.RUN_FINISHED | EventType.RUN_ERROR>;
type Usage = Extract<TimelineItem, { kind: "usage" }>;

export class Thread {
	readonly #slots = new Map<string, ItemSlot>();
	/** When each turn began (its first event or history row): turns are shown in this order. */
	readonly #turnStart = new Map<string, number>();
	readonly #approvals = new Map<string, ApprovalView>();
	/** Memories each run (`<task>:<attempt>`) was given: kept until its run line exists, whichever comes first. */
	readonly #recalled = new Map<string, RecalledMemories>();
	/** Each run's model calls (`sparky.usage`), by item id: the run line's cost, and its tokens while it runs. */
	readonly #calls = new Map<string, Map<string, Usage>>();
	/** Runs whose end reported their tokens: that figure wins over the calls' sum. */
	readonly #reported = new Set<string>();
	/** Bumped on every change. */
	version = 0;

	/** Items in display order: turns by when they began, items within a turn by order. */
	items(): TimelineItem[] {
		const turnRank = (turnId: string | undefined) => (turnId ? (this.#turnStart.get(turnId) ?? 0) : 0);
		return [...this.#slots.values()]
			.sort((a, b) => turnRank(a.item.turnId) - turnRank(b.item.turnId) || a.order - b.order)
			.map((slot) => slot.item);
	}

	/** An agent event at `order` within its run. Returns false for types this thread doesn't render. */
	applyEvent(e: KnownHubEvent, order: number): boolean {
		const turnId = e.task_id;
		if (turnId) this.#noteTurn(turnId, e.ts);
		const known = this.#applyAgentEvent(e, turnId, order);
		if (known) {
			this.#linkApprovals();
			this.version++;
		}
		return known;
	}

	/** An approval as the API or a `sparky.approval.*` event has it. */
	applyApproval(a: Approval): void {
		mergeApproval(this.#approvals, approvalFromApi(a));
		this.#linkApprovals();
		this.version++;
	}

	/** The memories run `runId` was given (`sparky.memory.recalled`): shown on its run line. */
	applyRecalled(runId: string, memories: RecalledMemories): void {
		this.#recalled.set(runId, memories);
		const run = this.#slots.get(runId)?.item;
		if (run?.kind === "run") run.memories = memories;
		this.version++;
	}

	/**
	 * One model call's tokens and cost (`sparky.usage` of `taskId`'s attempt): a line where
	 * the call ended (`position`: the event's place in its run; without one, after what the turn
	 * shows so far), and the run's cost and running tokens.
	 */
	applyUsage(
		usage: ModelCallUsage,
		at: { eventId: string; taskId: string; attempt: number | undefined; ts: number; position: number | undefined },
	): void {
		const { taskId, ts } = at;
		this.#noteTurn(taskId, ts);
		const runId = `${taskId}:${at.attempt ?? 0}`;
		const id = usageItemId(taskId, usage.step, at.eventId);
		const order = at.position ?? this.#lastOrder(taskId) + 0.5;
		const slot = this.#slot(id, order, () => ({ ...usageOf(usage, runId), kind: "usage", id, turnId: taskId, ts }));
		if (slot.item.kind !== "usage") return;
		Object.assign(slot.item, usageOf(usage, runId));
		let calls = this.#calls.get(runId);
		if (!calls) {
			calls = new Map();
			this.#calls.set(runId, calls);
		}
		calls.set(id, slot.item);
		this.#sumRun(runId);
		this.version++;
	}

	/** Whether an item (message, tool call, …) with this id is in the thread. */
	has(id: string): boolean {
		return this.#slots.has(id);
	}

	/** Approvals known to this thread (any status). */
	approvals(): ApprovalView[] {
		return [...this.#approvals.values()];
	}

	/** A page of a chat's history: complete messages and tool rows. */
	applyHistory(messages: readonly ChatMessage[]): void {
		for (const m of messages) {
			const turnId = m.turn_id ?? `history:${m.id}`;
			this.#noteTurn(turnId, m.created_at);
			const existing = this.#slots.get(m.id);
			if (m.role === "tool") {
				const item: TimelineItem =
					existing?.item.kind === "tool"
						? existing.item
						: {
								kind: "tool",
								id: m.id,
								name: m.tool_name ?? "tool",
								args: "",
								state: "done",
								turnId,
								ts: m.created_at,
							};
				if (item.kind === "tool") {
					item.args = m.tool_args ?? item.args;
					item.result ??= m.content;
					item.state = isErrorResult(item.result) ? "error" : "done";
				}
				this.#slots.set(m.id, existing ?? { item, order: m.ordinal });
			} else {
				const slot = existing ?? {
					item: { kind: "message", id: m.id, role: m.role, text: "", streaming: false, turnId, ts: m.created_at },
					order: m.ordinal,
				};
				slot.finalText = m.content;
				if (slot.item.kind === "message") {
					slot.item.text = m.content;
					slot.item.streaming = false;
				}
				this.#slots.set(m.id, slot);
			}
		}
		this.version++;
	}

	#applyAgentEvent(e: KnownHubEvent, turnId: string | undefined, order: number): boolean {
		switch (e.type) {
			case EventType.TEXT_MESSAGE_START:
			case EventType.TEXT_MESSAGE_CONTENT:
			case EventType.TEXT_MESSAGE_END: {
				const id = e.messageId;
				const role = e.type === EventType.TEXT_MESSAGE_START && e.role === "user" ? "user" : "assistant";
				const slot = this.#slot(id, order, () => ({
					kind: "message",
					id,
					role,
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				if (e.type === EventType.TEXT_MESSAGE_START && slot.item.kind === "message") slot.item.role = role;
				const delta = e.type === EventType.TEXT_MESSAGE_CONTENT ? e.delta : undefined;
				this.#streamText(slot, delta, order, e.type === EventType.TEXT_MESSAGE_END);
				return true;
			}
			case EventType.REASONING_START:
			case EventType.REASONING_END:
				return true;
			case EventType.REASONING_MESSAGE_START:
			case EventType.REASONING_MESSAGE_CONTENT:
			case EventType.REASONING_MESSAGE_END: {
				const id = e.messageId;
				const slot = this.#slot(id, order, () => ({
					kind: "thought",
					id,
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				const delta = e.type === EventType.REASONING_MESSAGE_CONTENT ? e.delta : undefined;
				this.#streamText(slot, delta, order, e.type === EventType.REASONING_MESSAGE_END);
				return true;
			}
			case EventType.TOOL_CALL_START:
			case EventType.TOOL_CALL_ARGS:
			case EventType.TOOL_CALL_END:
			case EventType.TOOL_CALL_RESULT:
				this.#applyToolEvent(e, turnId, order);
				return true;
			case EventType.RUN_STARTED:
			case EventType.RUN_FINISHED:
			case EventType.RUN_ERROR:
				this.#applyRunEvent(e, turnId, order);
				return true;
			default:
				return false;
		}
	}

	#applyToolEvent(e: ToolEvent, turnId: string | undefined, order: number): void {
		const id = e.toolCallId;
		const name = e.type === EventType.TOOL_CALL_START ? e.toolCallName : "";
		const slot = this.#slot(id, order, () => ({
			kind: "tool",
			id,
			name: name || "tool",
			args: "",
			state: "calling",
			turnId,
			ts: e.ts,
		}));
		const item = slot.item;
		if (item.kind !== "tool") return;
		if (e.type === EventType.TOOL_CALL_START) item.name = name || item.name;
		if (e.type === EventType.TOOL_CALL_ARGS) {
			slot.deltas ??= new Map();
			slot.deltas.set(order, e.delta);
			item.args = joinDeltas(slot.deltas);
		}
		if (e.type === EventType.TOOL_CALL_END && item.state === "calling") item.state = "running";
		if (e.type === EventType.TOOL_CALL_RESULT) {
			item.result = typeof e.content === "string" ? e.content : JSON.stringify(e.content);
			item.state = isErrorResult(item.result) ? "error" : "done";
			item.endedTs = e.ts;
		}
	}

	#applyRunEvent(e: RunEvent, turnId: string | undefined, order: number): void {
		// `RUN_ERROR` has no `runId` in AG-UI; one that carries it anyway joins that run.
		const runId = e.runId;
		const id = (typeof runId === "string" && runId) || `${e.task_id}:${e.attempt ?? 0}`;
		const slot = this.#slot(id, order, () => ({ kind: "run", id, state: "running", turnId, ts: e.ts }));
		const item = slot.item;
		if (item.kind !== "run") return;
		item.memories ??= this.#recalled.get(id);
		this.#sumRun(id);
		if (e.type === EventType.RUN_STARTED) {
			item.model = e.model || item.model;
			item.ts = Math.min(item.ts, e.ts);
			return;
		}
		const usage = e.usage?.[0];
		if (usage) {
			item.usage = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
			this.#reported.add(id);
		}
		const interrupted = e.type === EventType.RUN_ERROR && e.code === "interrupted";
		// A run's real end wins over the sweep's "interrupted", in whichever order they arrive.
		if (interrupted && item.state !== "running" && item.state !== "interrupted") return;
		item.endedTs = e.ts;
		if (e.type === EventType.RUN_FINISHED) {
			const outcome = e.outcome;
			item.error = undefined;
			item.code = undefined;
			if (outcome?.type === "interrupt") {
				item.state = "awaiting_approval";
				for (const interrupt of outcome.interrupts) {
					const approval = approvalFromInterrupt(interrupt, id, e.task_id);
					if (approval) mergeApproval(this.#approvals, approval);
				}
			} else item.state = outcome?.type === "cancelled" ? "cancelled" : "succeeded";
		} else {
			item.state = interrupted ? "interrupted" : e.code === "retrying" ? "retrying" : "failed";
			item.error = e.message;
			item.code = e.code ?? "";
		}
	}

	/** Attaches each approval to its run and its tool call. */
	#linkApprovals(): void {
		linkApprovals(
			this.#approvals,
			(id) => this.#slots.get(id)?.item,
			(taskId) => this.#latestRun(taskId),
		);
	}

	/** A run's cost (its calls' sum) and, until its end reports them, its tokens so far. */
	#sumRun(runId: string): void {
		const calls = this.#calls.get(runId);
		const run = this.#slots.get(runId)?.item;
		if (!calls || run?.kind !== "run") return;
		const all = [...calls.values()];
		run.costUsd = sumCosts(all.map((s) => s.costUsd));
		run.calls = all.length;
		if (!this.#reported.has(runId)) {
			run.usage = {
				inputTokens: all.reduce((n, s) => n + s.inputTokens, 0),
				outputTokens: all.reduce((n, s) => n + s.outputTokens, 0),
			};
		}
	}

	/** The order of the last item of a turn (0 when it has none). */
	#lastOrder(turnId: string): number {
		let last = 0;
		for (const slot of this.#slots.values()) if (slot.item.turnId === turnId) last = Math.max(last, slot.order);
		return last;
	}

	/** A task's latest run line (the last in the turn's order). */
	#latestRun(taskId: string | undefined): string | undefined {
		if (!taskId) return undefined;
		let latest: { id: string; order: number } | undefined;
		for (const slot of this.#slots.values()) {
			const item = slot.item;
			if (item.kind !== "run" || item.turnId !== taskId) continue;
			if (!latest || slot.order > latest.order) latest = { id: item.id, order: slot.order };
		}
		return latest?.id;
	}

	#slot(id: string, order: number, create: () => TimelineItem): ItemSlot {
		let slot = this.#slots.get(id);
		if (!slot) {
			slot = { item: create(), order };
			this.#slots.set(id, slot);
		}
		return slot;
	}

	#streamText(slot: ItemSlot, delta: string | undefined, order: number, ended: boolean): void {
		const item = slot.item;
		if (item.kind !== "message" && item.kind !== "thought") return;
		if (delta !== undefined) {
			slot.deltas ??= new Map();
			slot.deltas.set(order, delta);
		}
		item.text = slot.finalText ?? joinDeltas(slot.deltas);
		if (ended || slot.finalText !== undefined) item.streaming = false;
	}

	#noteTurn(turnId: string, at: number): void {
		const known = this.#turnStart.get(turnId);
		if (known === undefined || at < known) this.#turnStart.set(turnId, at);
	}
}
