import {
	type Chat,
	type ChatMessage,
	CustomName,
	type HubEvent,
	type Task,
	type TaskStatus,
	type TaskStatusValue,
} from "../protocol/index.ts";
import { orderOf } from "./run-order.ts";

/**
 * The page's (and the CLI's) model of what happened: events in, timelines out. Pure and
 * idempotent: the same event applied twice, events arriving out of order, replay
 * overlapping live, or history overlapping events all end in the same state.
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

export interface TaskSummary {
	id: string;
	kind: "task" | "chat";
	status: TaskStatus;
	attempt: number;
	instruction?: string;
	error?: string;
	result?: string;
	chatId?: string;
	updatedAt: number;
	/** Events that arrived while it wasn't open. */
	unread: number;
}

export interface ChatSummary {
	id: string;
	title: string;
	updatedAt: number;
	unread: number;
}

interface ItemSlot {
	item: TimelineItem;
	/** Order within the turn: `orderOf` for items seen as events, ordinal for history rows. */
	order: number;
	/** Text deltas by `orderOf`, so deltas arriving out of order still read right. */
	deltas?: Map<number, string>;
	/** Complete text from history: wins over deltas. */
	finalText?: string;
}

interface Thread {
	key: ThreadKey;
	slots: Map<string, ItemSlot>;
	/** When each turn began (its first event or history row): turns are shown in this order. */
	turnStart: Map<string, number>;
	version: number;
}

const TERMINAL = new Set<TaskStatus>(["succeeded", "failed", "cancelled"]);

export class Timeline {
	readonly #threads = new Map<ThreadKey, Thread>();
	readonly #seen = new Set<string>();
	readonly #tasks = new Map<string, TaskSummary>();
	readonly #chats = new Map<string, ChatSummary>();
	#open: ThreadKey | undefined;
	/** Bumped on every change: cheap change detection for a UI. */
	version = 0;
	/** Event types this client doesn't know (kept out of the timeline, counted). */
	unknownEvents = 0;

	/** The thread being looked at: its events don't count as unread. */
	open(key: ThreadKey | undefined): void {
		this.#open = key;
		if (!key) return;
		const [kind, id] = splitKey(key);
		const summary = kind === "chat" ? this.#chats.get(id) : this.#tasks.get(id);
		if (summary && summary.unread > 0) {
			summary.unread = 0;
			this.version++;
		}
	}

	apply(events: readonly HubEvent[]): void {
		for (const event of events) this.#applyOne(event);
	}

	/** A page of a chat's history (from `chat.history` or the HTTP API). */
	applyHistory(chatId: string, messages: readonly ChatMessage[]): void {
		const thread = this.#thread(`chat:${chatId}`);
		for (const m of messages) {
			const turnId = m.turn_id ?? `history:${m.id}`;
			this.#noteTurn(thread, turnId, m.created_at);
			const existing = thread.slots.get(m.id);
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
				thread.slots.set(m.id, existing ?? { item, order: m.ordinal });
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
				thread.slots.set(m.id, slot);
			}
		}
		this.#touch(thread);
	}

	/**
	 * A chat's unfinished turns (the `turns` of a `chat.history` answer): their statuses, so
	 * `openTurns` knows what is running or pending after a reload. A status already known
	 * from events is newer and is kept.
	 */
	applyTurns(chatId: string, turns: readonly { turn_id: string; status: string; text: string }[]): void {
		for (const turn of turns) {
			if (this.#tasks.has(turn.turn_id) || !isTaskStatus(turn.status)) continue;
			this.#tasks.set(turn.turn_id, {
				id: turn.turn_id,
				kind: "chat",
				status: turn.status,
				attempt: 0,
				instruction: turn.text,
				chatId,
				updatedAt: 0,
				unread: 0,
			});
		}
		this.version++;
	}

	applyTasks(tasks: readonly Task[]): void {
		for (const t of tasks) {
			const current = this.#tasks.get(t.id);
			if (current && current.updatedAt > t.updated_at) continue;
			this.#tasks.set(t.id, {
				id: t.id,
				kind: t.kind,
				status: t.status,
				attempt: t.attempts,
				instruction: t.instruction,
				error: t.error ?? undefined,
				result: t.result ?? undefined,
				chatId: t.chat_id ?? undefined,
				updatedAt: t.updated_at,
				unread: current?.unread ?? 0,
			});
		}
		this.version++;
	}

	applyChats(chats: readonly Chat[]): void {
		for (const c of chats) this.#upsertChat(c);
		this.version++;
	}

	/** Items of a thread, in display order. */
	items(key: ThreadKey): TimelineItem[] {
		const thread = this.#threads.get(key);
		if (!thread) return [];
		const turnRank = (turnId: string | undefined) => (turnId ? (thread.turnStart.get(turnId) ?? 0) : 0);
		return [...thread.slots.values()]
			.sort((a, b) => turnRank(a.item.turnId) - turnRank(b.item.turnId) || a.order - b.order)
			.map((slot) => slot.item);
	}

	threadVersion(key: ThreadKey): number {
		return this.#threads.get(key)?.version ?? 0;
	}

	/** Background tasks (not chat turns), newest first. */
	tasks(filter?: TaskStatus): TaskSummary[] {
		return [...this.#tasks.values()]
			.filter((t) => t.kind === "task" && (!filter || t.status === filter))
			.sort((a, b) => b.updatedAt - a.updatedAt || b.id.localeCompare(a.id));
	}

	task(id: string): TaskSummary | undefined {
		return this.#tasks.get(id);
	}

	chats(): ChatSummary[] {
		return [...this.#chats.values()].sort((a, b) => b.updatedAt - a.updatedAt || b.id.localeCompare(a.id));
	}

	/** Chat turns that haven't finished (for "pending" badges). */
	openTurns(chatId: string): TaskSummary[] {
		return [...this.#tasks.values()].filter((t) => t.kind === "chat" && t.chatId === chatId && !TERMINAL.has(t.status));
	}

	// ---- events ---------------------------------------------------------------------------

	#applyOne(event: HubEvent): void {
		if (this.#seen.has(event.id)) return;
		this.#seen.add(event.id);
		if (event.type === "CUSTOM") {
			this.#applyCustom(event);
			return;
		}
		const key = threadOf(event);
		if (!key) return;
		const thread = this.#thread(key);
		const turnId = event.task_id;
		if (turnId) this.#noteTurn(thread, turnId, event.ts);
		const known = this.#applyAgentEvent(thread, event, turnId, orderOf(event));
		if (!known) {
			this.unknownEvents++;
			return;
		}
		this.#markUnread(event);
		this.#touch(thread);
	}

	/** Returns false for event types this client doesn't render. */
	#applyAgentEvent(thread: Thread, e: HubEvent, turnId: string | undefined, order: number): boolean {
		const str = (v: unknown) => (typeof v === "string" ? v : "");
		switch (e.type) {
			case "TEXT_MESSAGE_START":
			case "TEXT_MESSAGE_CONTENT":
			case "TEXT_MESSAGE_END": {
				const id = str(e.messageId);
				const slot = this.#slot(thread, id, order, () => ({
					kind: "message",
					id,
					role: e.role === "user" ? "user" : "assistant",
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				if (e.type === "TEXT_MESSAGE_START" && slot.item.kind === "message")
					slot.item.role = e.role === "user" ? "user" : "assistant";
				this.#streamText(slot, e, order, e.type === "TEXT_MESSAGE_END");
				return true;
			}
			case "REASONING_START":
			case "REASONING_END":
				return true;
			case "REASONING_MESSAGE_START":
			case "REASONING_MESSAGE_CONTENT":
			case "REASONING_MESSAGE_END": {
				const id = str(e.messageId);
				const slot = this.#slot(thread, id, order, () => ({
					kind: "thought",
					id,
					text: "",
					streaming: true,
					turnId,
					ts: e.ts,
				}));
				this.#streamText(slot, e, order, e.type === "REASONING_MESSAGE_END");
				return true;
			}
			case "TOOL_CALL_START":
			case "TOOL_CALL_ARGS":
			case "TOOL_CALL_END":
			case "TOOL_CALL_RESULT": {
				const id = str(e.toolCallId);
				const slot = this.#slot(thread, id, order, () => ({
					kind: "tool",
					id,
					name: str(e.toolCallName) || "tool",
					args: "",
					state: "calling",
					turnId,
					ts: e.ts,
				}));
				const item = slot.item;
				if (item.kind !== "tool") return true;
				if (e.type === "TOOL_CALL_START") item.name = str(e.toolCallName) || item.name;
				if (e.type === "TOOL_CALL_ARGS") {
					slot.deltas ??= new Map();
					slot.deltas.set(order, str(e.delta));
					item.args = joinDeltas(slot.deltas);
				}
				if (e.type === "TOOL_CALL_END" && item.state === "calling") item.state = "running";
				if (e.type === "TOOL_CALL_RESULT") {
					item.result = str(e.content);
					item.state = isErrorResult(item.result) ? "error" : "done";
					item.endedTs = e.ts;
				}
				return true;
			}
			case "RUN_STARTED":
			case "RUN_FINISHED":
			case "RUN_ERROR": {
				const id = str(e.runId) || `${e.task_id}:${e.attempt ?? 0}`;
				const slot = this.#slot(thread, id, order, () => ({ kind: "run", id, state: "running", turnId, ts: e.ts }));
				const item = slot.item;
				if (item.kind !== "run") return true;
				if (e.type === "RUN_STARTED") {
					item.model = str(e.model) || item.model;
					item.ts = Math.min(item.ts, e.ts);
				} else {
					const usage = Array.isArray(e.usage)
						? (e.usage[0] as { inputTokens?: number; outputTokens?: number })
						: undefined;
					if (usage) item.usage = { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
					item.endedTs = e.ts;
					if (e.type === "RUN_FINISHED") {
						item.state = (e.outcome as { type?: string } | undefined)?.type === "cancelled" ? "cancelled" : "succeeded";
					} else {
						item.state = e.code === "retrying" ? "retrying" : "failed";
						item.error = str(e.message);
						item.code = str(e.code);
					}
				}
				return true;
			}
			default:
				return false;
		}
	}

	#applyCustom(e: HubEvent): void {
		if (e.name === CustomName.taskStatus) {
			const v = e.value as TaskStatusValue;
			const current = this.#tasks.get(v.task_id);
			// Status events can arrive out of order (replay + live): keep the newest.
			if (current && current.updatedAt > e.ts) return;
			this.#tasks.set(v.task_id, {
				id: v.task_id,
				kind: v.kind ?? current?.kind ?? (e.chat_id && v.task_id.startsWith("turn_") ? "chat" : "task"),
				status: v.status,
				attempt: v.attempt,
				instruction: v.instruction ?? current?.instruction,
				error: v.error ?? (v.status === "succeeded" ? undefined : current?.error),
				result: v.result ?? current?.result,
				chatId: e.chat_id ?? current?.chatId,
				updatedAt: e.ts,
				unread: current?.unread ?? 0,
			});
			this.#markUnread(e);
			this.version++;
			return;
		}
		if (e.name === CustomName.chat) {
			const v = e.value as { action: string; chat: Chat };
			if (v.action === "deleted") {
				this.#chats.delete(v.chat.id);
				this.#threads.delete(`chat:${v.chat.id}`);
			} else this.#upsertChat(v.chat);
			this.version++;
			return;
		}
		this.unknownEvents++;
	}

	// ---- helpers --------------------------------------------------------------------------

	#thread(key: ThreadKey): Thread {
		let thread = this.#threads.get(key);
		if (!thread) {
			thread = { key, slots: new Map(), turnStart: new Map(), version: 0 };
			this.#threads.set(key, thread);
		}
		return thread;
	}

	#slot(thread: Thread, id: string, order: number, create: () => TimelineItem): ItemSlot {
		let slot = thread.slots.get(id);
		if (!slot) {
			slot = { item: create(), order };
			thread.slots.set(id, slot);
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

	#noteTurn(thread: Thread, turnId: string, at: number): void {
		const known = thread.turnStart.get(turnId);
		if (known === undefined || at < known) thread.turnStart.set(turnId, at);
	}

	#upsertChat(chat: Chat): void {
		const current = this.#chats.get(chat.id);
		this.#chats.set(chat.id, {
			id: chat.id,
			title: chat.title,
			updatedAt: Math.max(chat.updated_at, current?.updatedAt ?? 0),
			unread: current?.unread ?? 0,
		});
	}

	#markUnread(e: HubEvent): void {
		const key = threadOf(e);
		if (!key || key === this.#open) return;
		if (e.chat_id) {
			const chat = this.#chats.get(e.chat_id);
			if (chat) {
				chat.unread++;
				chat.updatedAt = Math.max(chat.updatedAt, e.ts);
			}
		} else if (e.task_id) {
			const task = this.#tasks.get(e.task_id);
			if (task) task.unread++;
		}
	}

	#touch(thread: Thread): void {
		thread.version++;
		this.version++;
	}
}

/** Chat events belong to the chat's thread; other task events to the task's. */
export function threadOf(e: Pick<HubEvent, "chat_id" | "task_id">): ThreadKey | undefined {
	if (e.chat_id) return `chat:${e.chat_id}`;
	if (e.task_id) return `task:${e.task_id}`;
	return undefined;
}

function splitKey(key: ThreadKey): ["chat" | "task", string] {
	const i = key.indexOf(":");
	return [key.slice(0, i) as "chat" | "task", key.slice(i + 1)];
}

function joinDeltas(deltas: Map<number, string> | undefined): string {
	if (!deltas) return "";
	return [...deltas.entries()]
		.sort((a, b) => a[0] - b[0])
		.map(([, d]) => d)
		.join("");
}

const STATUSES = new Set<string>(["waiting", "queued", "running", "succeeded", "failed", "cancelled"]);

function isTaskStatus(status: string): status is TaskStatus {
	return STATUSES.has(status);
}

function isErrorResult(result: string | undefined): boolean {
	if (!result?.startsWith("{")) return false;
	try {
		const parsed = JSON.parse(result) as { error?: unknown };
		return typeof parsed.error === "string";
	} catch {
		return false;
	}
}
