import { type ChatMessage, EventType, type HubEvent } from "../protocol/index.ts";

/**
 * One chat's or task's timeline: its agent events and history rows folded into items. Pure
 * and idempotent like the `Timeline` that owns it; deduplication by event id happens there.
 */

export type ThreadKey = `chat:${string}` | `task:${string}`;

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
			/** `running` until the result arrives. */
			state: "calling" | "running" | "done" | "error";
			turnId?: string;
			ts: number;
			endedTs?: number;
	  }
	| {
			kind: "run";
			id: string;
			state: "running" | "succeeded" | "failed" | "cancelled" | "retrying";
			model?: string;
			usage?: { inputTokens: number; outputTokens: number };
			error?: string;
			code?: string;
			turnId?: string;
			ts: number;
			endedTs?: number;
	  };

interface ItemSlot {
	item: TimelineItem;
	/** Order within the turn: `orderOf` for items seen as events, ordinal for history rows. */
	order: number;
	/** Text deltas by `orderOf`, so deltas arriving out of order still read right. */
	deltas?: Map<number, string>;
	/** Complete text from history: wins over deltas. */
	finalText?: string;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

export class Thread {
	readonly #slots = new Map<string, ItemSlot>();
	/** When each turn began (its first event or history row): turns are shown in this order. */
	readonly #turnStart = new Map<string, number>();
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
	applyEvent(e: HubEvent, order: number): boolean {
		const turnId = e.task_id;
		if (turnId) this.#noteTurn(turnId, e.ts);
		const known = this.#applyAgentEvent(e, turnId, order);
		if (known) this.version++;
		return known;
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

	#applyAgentEvent(e: HubEvent, turnId: string | undefined, order: number): boolean {
		switch (e.type) {
			case EventType.TEXT_MESSAGE_START:
			case EventType.TEXT_MESSAGE_CONTENT:
			case EventType.TEXT_MESSAGE_END: {
				const id = str(e.messageId);
				const slot = this.#slot(id, order, () => ({
					kind: "message",
					id,
					role: e.role === "user" ? "user" : "assistant",
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				if (e.type === EventType.TEXT_MESSAGE_START && slot.item.kind === "message")
					slot.item.role = e.role === "user" ? "user" : "assistant";
				this.#streamText(slot, e, order, e.type === EventType.TEXT_MESSAGE_END);
				return true;
			}
			case EventType.REASONING_START:
			case EventType.REASONING_END:
				return true;
			case EventType.REASONING_MESSAGE_START:
			case EventType.REASONING_MESSAGE_CONTENT:
			case EventType.REASONING_MESSAGE_END: {
				const id = str(e.messageId);
				const slot = this.#slot(id, order, () => ({
					kind: "thought",
					id,
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				this.#streamText(slot, e, order, e.type === EventType.REASONING_MESSAGE_END);
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

	#applyToolEvent(e: HubEvent, turnId: string | undefined, order: number): void {
		const id = str(e.toolCallId);
		const slot = this.#slot(id, order, () => ({
			kind: "tool",
			id,
			name: str(e.toolCallName) || "tool",
			args: "",
			state: "calling",
			turnId,
			ts: e.ts,
		}));
		const item = slot.item;
		if (item.kind !== "tool") return;
		if (e.type === EventType.TOOL_CALL_START) item.name = str(e.toolCallName) || item.name;
		if (e.type === EventType.TOOL_CALL_ARGS) {
			slot.deltas ??= new Map();
			slot.deltas.set(order, str(e.delta));
			item.args = joinDeltas(slot.deltas);
		}
		if (e.type === EventType.TOOL_CALL_END && item.state === "calling") item.state = "running";
		if (e.type === EventType.TOOL_CALL_RESULT) {
			item.result = str(e.content);
			item.state = isErrorResult(item.result) ? "error" : "done";
			item.endedTs = e.ts;
		}
	}

	#applyRunEvent(e: HubEvent, turnId: string | undefined, order: number): void {
		const id = str(e.runId) || `${e.task_id}:${e.attempt ?? 0}`;
		const slot = this.#slot(id, order, () => ({ kind: "run", id, state: "running", turnId, ts: e.ts }));
		const item = slot.item;
		if (item.kind !== "run") return;
		if (e.type === EventType.RUN_STARTED) {
			item.model = str(e.model) || item.model;
			item.ts = Math.min(item.ts, e.ts);
			return;
		}
		const usage = Array.isArray(e.usage) ? (e.usage[0] as { inputTokens?: number; outputTokens?: number }) : undefined;
		if (usage) item.usage = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
		item.endedTs = e.ts;
		if (e.type === EventType.RUN_FINISHED) {
			item.state = (e.outcome as { type?: string } | undefined)?.type === "cancelled" ? "cancelled" : "succeeded";
		} else {
			item.state = e.code === "retrying" ? "retrying" : "failed";
			item.error = str(e.message);
			item.code = str(e.code);
		}
	}

	#slot(id: string, order: number, create: () => TimelineItem): ItemSlot {
		let slot = this.#slots.get(id);
		if (!slot) {
			slot = { item: create(), order };
			this.#slots.set(id, slot);
		}
		return slot;
	}

	#streamText(slot: ItemSlot, e: HubEvent, order: number, ended: boolean): void {
		const item = slot.item;
		if (item.kind !== "message" && item.kind !== "thought") return;
		if (e.type.endsWith("_CONTENT")) {
			slot.deltas ??= new Map();
			slot.deltas.set(order, typeof e.delta === "string" ? e.delta : "");
		}
		item.text = slot.finalText ?? joinDeltas(slot.deltas);
		if (ended || slot.finalText !== undefined) item.streaming = false;
	}

	#noteTurn(turnId: string, at: number): void {
		const known = this.#turnStart.get(turnId);
		if (known === undefined || at < known) this.#turnStart.set(turnId, at);
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
