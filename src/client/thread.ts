import {
	type Approval,
	type ChatMessage,
	type EventOf,
	EventType,
	type KnownHubEvent,
	type ModelCallUsage,
} from "../protocol/index.ts";
import { sumCosts } from "./money.ts";
import type { ApprovalView, RecalledMemories, TimelineItem } from "./timeline-items.ts";

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
type Interrupt = Extract<
	NonNullable<EventOf<EventType.RUN_FINISHED>["outcome"]>,
	{ type: "interrupt" }
>["interrupts"][number];

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
		this.#mergeApproval({
			id: a.id,
			taskId: a.task_id,
			runId: runIdOf(a.task_id, a.tool_call_id),
			toolCallId: a.tool_call_id,
			tool: a.tool,
			input: a.input,
			status: a.status,
			requestedAt: a.requested_at,
			expiresAt: a.expires_at,
			decidedAt: a.decided_at ?? undefined,
			decidedBy: a.decided_by ?? undefined,
			reason: a.reason ?? undefined,
			owner: a.user_id,
			canDecide: a.can_decide,
			kind: a.kind ?? "tool",
		});
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
				for (const interrupt of outcome.interrupts) this.#noteInterrupt(interrupt, id, e.task_id);
			} else item.state = outcome?.type === "cancelled" ? "cancelled" : "succeeded";
		} else {
			item.state = interrupted ? "interrupted" : e.code === "retrying" ? "retrying" : "failed";
			item.error = e.message;
			item.code = e.code ?? "";
		}
	}

	/** One of a `RUN_FINISHED` outcome's `interrupts`: what the run waits for. */
	#noteInterrupt(i: Interrupt, runId: string, taskId: string | undefined): void {
		const kind = INTERRUPT_KINDS.get(i.reason);
		if (!kind || !i.id) return;
		const expires = i.expiresAt ? Date.parse(i.expiresAt) : Number.NaN;
		this.#mergeApproval({
			id: i.id,
			taskId,
			runId,
			toolCallId: i.toolCallId ?? "",
			tool: kind === "budget" ? "budget" : "",
			input: undefined,
			status: "pending",
			message: i.message || undefined,
			kind,
			expiresAt: Number.isFinite(expires) ? expires : undefined,
		});
	}

	/** Merges what is known of an approval: decided beats pending, and known fields are kept. */
	#mergeApproval(next: ApprovalView): void {
		const current = this.#approvals.get(next.id);
		if (!current) {
			this.#approvals.set(next.id, next);
			return;
		}
		const newer =
			next.status !== "pending" && (current.status === "pending" || (next.decidedAt ?? 0) >= (current.decidedAt ?? 0));
		for (const [key, value] of Object.entries(next) as [keyof ApprovalView, unknown][]) {
			if (value === undefined || value === "") continue;
			if (["status", "decidedAt", "decidedBy", "reason"].includes(key) && !newer) continue;
			(current as unknown as Record<string, unknown>)[key] = value;
		}
		if (newer) {
			current.decidedAt = next.decidedAt;
			current.decidedBy = next.decidedBy;
			current.reason = next.reason;
		}
	}

	/** Attaches each approval to its run and its tool call; a paused run waits while one is pending. */
	#linkApprovals(): void {
		if (this.#approvals.size === 0) return;
		const byRun = new Map<string, ApprovalView[]>();
		for (const approval of this.#approvals.values()) {
			const tool = this.#slots.get(approval.toolCallId)?.item;
			if (tool?.kind === "tool") {
				tool.approval = approval;
				approval.tool ||= tool.name;
				if (approval.input === undefined && tool.args) approval.input = parseJson(tool.args);
			}
			// A budget approval has no tool call (nor, from every server, a run in its ids): it waits on the task's latest run.
			const runId = approval.runId ?? (approval.kind === "budget" ? this.#latestRun(approval.taskId) : undefined);
			if (!runId) continue;
			const list = byRun.get(runId) ?? [];
			list.push(approval);
			byRun.set(runId, list);
		}
		for (const [runId, approvals] of byRun) {
			const run = this.#slots.get(runId)?.item;
			if (run?.kind !== "run") continue;
			run.approvals = approvals.sort((a, b) => (a.requestedAt ?? 0) - (b.requestedAt ?? 0) || a.id.localeCompare(b.id));
			if (run.state === "awaiting_approval" || run.state === "paused")
				run.state = approvals.some((a) => a.status === "pending") ? "awaiting_approval" : "paused";
		}
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

/** The interrupts (`RUN_FINISHED.outcome.interrupts[].reason`) that are approvals, and what each asks. */
const INTERRUPT_KINDS = new Map<string, NonNullable<ApprovalView["kind"]>>([
	["tool_approval", "tool"],
	["budget", "budget"],
	["budget_approval", "budget"],
]);

/**
 * A model call's item id: `<task>:call:<step>` (a step is numbered once over all the task's
 * attempts); a chat's summary call (step 0, compaction: there may be several) by its event id.
 */
export function usageItemId(taskId: string, step: number, eventId: string): string {
	return step > 0 ? `${taskId}:call:${step}` : `${taskId}:call:0:${eventId}`;
}

/** A `sparky.usage` value as a usage item's fields. */
function usageOf(u: ModelCallUsage, runId: string): Omit<Usage, "kind" | "id" | "turnId" | "ts"> {
	return {
		step: u.step,
		runId,
		model: u.model,
		inputTokens: u.input_tokens,
		outputTokens: u.output_tokens,
		cachedInputTokens: u.cached_input_tokens,
		reasoningTokens: u.reasoning_tokens,
		costUsd: u.cost_usd,
		taskCostUsd: u.task_cost_usd,
		ms: u.ms,
	};
}

/** `<task>:<attempt>` from a tool call id `<task>:<attempt>:<n>` (how the runner names them). */
function runIdOf(taskId: string, toolCallId: string): string | undefined {
	if (!toolCallId.startsWith(`${taskId}:`)) return undefined;
	const attempt = toolCallId.slice(taskId.length + 1).split(":")[0];
	return attempt && /^\d+$/.test(attempt) ? `${taskId}:${attempt}` : undefined;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

function joinDeltas(deltas: Map<number, string> | undefined): string {
	if (!deltas) return "";
	return [...deltas.entries()]
		.sort((a, b) => a[0] - b[0])
		.map(([, d]) => d)
		.join("");
}

/** A tool result is an error when it is a JSON object with a string `error`. */
function isErrorResult(result: string | undefined): boolean {
	if (!result?.startsWith("{")) return false;
	try {
		const parsed = JSON.parse(result) as { error?: unknown };
		return typeof parsed.error === "string";
	} catch {
		return false;
	}
}
