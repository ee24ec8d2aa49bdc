import {
	type Approval,
	type Chat,
	type ChatMessage,
	type ClientEvent,
	CustomName,
	EventType,
	type HubEnvelope,
	type KnownHubEvent,
	type SendPolicy,
	type ChatSummary as StoredChatSummary,
	type Task,
	type TaskStatus,
} from "../protocol/index.ts";
import { orderOf, runPosition } from "./run-order.ts";
import { type SteeredMessage, SteeredMessages } from "./steered-messages.ts";
import {
	isFinished,
	isNewerStatus,
	type TaskSummary,
	taskFromApi,
	taskFromStatus,
	taskFromTurn,
} from "./task-summary.ts";
import { Thread } from "./thread.ts";
import type { ApprovalView, SummaryView, ThreadKey, TimelineItem } from "./timeline-items.ts";
import { TurnSummaries } from "./turn-summaries.ts";

export { usageItemId } from "./item-fields.ts";
export type { SteeredMessage } from "./steered-messages.ts";
export type { TaskSummary } from "./task-summary.ts";
export type {
	ApprovalView,
	CallUsage,
	RecalledMemories,
	SummaryView,
	ThreadKey,
	TimelineItem,
} from "./timeline-items.ts";

/**
 * The page's (and the CLI's) model of what happened: events in, timelines out. Pure and
 * idempotent: the same event applied twice, events arriving out of order, replay
 * overlapping live, or history overlapping events all end in the same state.
 */

export interface ChatSummary {
	id: string;
	title: string;
	createdAt: number;
	updatedAt: number;
	unread: number;
	/** What a message sent while a turn runs does when it names no policy (absent: `queue`). */
	policy?: SendPolicy;
}

export class Timeline {
	readonly #threads = new Map<ThreadKey, Thread>();
	readonly #seen = new Set<string>();
	readonly #tasks = new Map<string, TaskSummary>();
	readonly #chats = new Map<string, ChatSummary>();
	/** Every approval seen (events, task views, `GET /api/approvals`), by id. */
	readonly #approvals = new Map<string, Approval>();
	readonly #summaries = new TurnSummaries();
	/** Each task's (or chat turn's) cost so far, as its model calls (`sparky.usage`) said. */
	readonly #taskCosts = new Map<string, number | null>();
	readonly #steered = new SteeredMessages();
	#open: ThreadKey | undefined;
	/** Bumped on every change: cheap change detection for a UI. */
	version = 0;
	/** Events this client doesn't know (a newer type or custom name, or fields that don't parse): kept out of the timeline, counted. */
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

	/** Events as `parseHubEvent` typed them (the hub client does; HTTP pages go through `parseHubEvents`). */
	apply(events: readonly ClientEvent[]): void {
		for (const event of events) this.#applyOne(event);
	}

	/** A page of a chat's history (from `chat.history` or the HTTP API). */
	applyHistory(chatId: string, messages: readonly ChatMessage[]): void {
		this.#thread(`chat:${chatId}`).applyHistory(messages);
		this.version++;
	}

	/**
	 * A chat's unfinished turns (the `turns` of a `chat.history` answer): their statuses, so
	 * `openTurns` knows what is running or pending after a reload. A status already known
	 * from events is newer and is kept.
	 */
	applyTurns(chatId: string, turns: readonly { turn_id: string; status: string; text: string }[]): void {
		for (const turn of turns) {
			if (this.#tasks.has(turn.turn_id)) continue;
			const task = taskFromTurn(chatId, turn);
			if (task) this.#tasks.set(turn.turn_id, task);
		}
		this.version++;
	}

	applyTasks(tasks: readonly Task[]): void {
		for (const t of tasks) {
			const current = this.#tasks.get(t.id);
			if (current && !isNewerStatus(current, t.status, t.updated_at)) continue;
			this.#tasks.set(t.id, taskFromApi(t, current));
		}
		this.version++;
	}

	/**
	 * Approvals from the API (`GET /api/tasks/:id`'s, `GET /api/approvals`, an `approval.decide`
	 * ack): they go to their thread like the `sparky.approval.*` events do.
	 */
	applyApprovals(approvals: readonly Approval[]): void {
		for (const a of approvals) this.#applyApproval(a);
		this.version++;
	}

	/** Approvals still waiting for a decision, oldest first; only `taskId`'s or `chatId`'s when given. */
	pendingApprovals(filter: { taskId?: string; chatId?: string } = {}): Approval[] {
		return [...this.#approvals.values()]
			.filter(
				(a) =>
					a.status === "pending" &&
					(!filter.taskId || a.task_id === filter.taskId) &&
					(!filter.chatId || a.chat_id === filter.chatId),
			)
			.sort((a, b) => a.requested_at - b.requested_at || a.id.localeCompare(b.id));
	}

	/** Whether a task (or any turn of a chat) is paused for someone's approval. */
	waitsForApproval(kind: "task" | "chat", id: string): boolean {
		if (kind === "task")
			return this.#tasks.get(id)?.status === "awaiting_approval" || this.pendingApprovals({ taskId: id }).length > 0;
		return (
			this.openTurns(id).some((t) => t.status === "awaiting_approval") ||
			this.pendingApprovals({ chatId: id }).length > 0
		);
	}

	/** A chat's summaries as `GET /api/chats/:id/summaries` has them (with their text). */
	applySummaries(chatId: string, summaries: readonly StoredChatSummary[]): void {
		for (const s of summaries) {
			this.#summaries.note(chatId, {
				id: s.id,
				turns: s.turns,
				throughTurnId: s.through_turn_id,
				content: s.content,
				createdAt: s.created_at,
			});
		}
		this.version++;
	}

	/** A chat's summaries of its older turns, oldest first (fewest turns covered). */
	summaries(chatId: string): SummaryView[] {
		return this.#summaries.list(chatId);
	}

	applyChats(chats: readonly Chat[]): void {
		for (const c of chats) this.#upsertChat(c);
		this.version++;
	}

	/** Items of a thread, in display order. */
	items(key: ThreadKey): TimelineItem[] {
		return this.#threads.get(key)?.items() ?? [];
	}

	/** Approvals of a thread (any status), as its items show them. */
	approvalsIn(key: ThreadKey): ApprovalView[] {
		return this.#threads.get(key)?.approvals() ?? [];
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

	/**
	 * What a task (or chat turn) has cost so far, as its model calls' `sparky.usage` said (the
	 * largest `task_cost_usd`): `null` when a call had no known price, undefined when none has
	 * reported (yet).
	 */
	taskCost(id: string): number | null | undefined {
		return this.#taskCosts.get(id);
	}

	chats(): ChatSummary[] {
		return [...this.#chats.values()].sort((a, b) => b.updatedAt - a.updatedAt || b.id.localeCompare(a.id));
	}

	/** A message this client steered into a running turn of `chatId` (the send's answer said `steered`). */
	noteSteered(chatId: string, message: SteeredMessage): void {
		if (this.#steered.note(chatId, message)) this.version++;
	}

	/**
	 * Messages steered into a turn of `chatId` that no event shows yet (the run reads them at its
	 * next step), oldest first. Once the run's user-message event (same id) arrives, it is there
	 * in the turn instead, where the run took it.
	 */
	pendingSteers(chatId: string): SteeredMessage[] {
		const thread = this.#threads.get(`chat:${chatId}`);
		return this.#steered.pending(chatId, (messageId) => thread?.has(messageId) ?? false);
	}

	/** Chat turns that haven't finished (for "pending" badges). */
	openTurns(chatId: string): TaskSummary[] {
		return [...this.#tasks.values()].filter((t) => t.kind === "chat" && t.chatId === chatId && !isFinished(t.status));
	}

	// ---- events ---------------------------------------------------------------------------

	#applyOne(event: ClientEvent): void {
		if (this.#seen.has(event.id)) return;
		this.#seen.add(event.id);
		if (event.type === "unknown") {
			this.unknownEvents++;
			return;
		}
		if (event.type === EventType.CUSTOM) {
			this.#applyCustom(event);
			return;
		}
		const key = threadOf(event);
		if (!key) return;
		if (!this.#thread(key).applyEvent(event, orderOf(event))) {
			this.unknownEvents++;
			return;
		}
		this.#markUnread(event);
		this.version++;
	}

	#applyCustom(e: Extract<KnownHubEvent, { type: EventType.CUSTOM }>): void {
		switch (e.name) {
			case CustomName.taskStatus: {
				const id = e.value.task_id;
				const current = this.#tasks.get(id);
				// Status events can arrive out of order (replay + live): keep the newest.
				if (current && !isNewerStatus(current, e.value.status, e.ts)) return;
				this.#tasks.set(id, taskFromStatus(e, current));
				this.#markUnread(e);
				this.version++;
				return;
			}
			case CustomName.approvalRequested:
			case CustomName.approvalDecided:
				this.#applyApproval(e.value.approval);
				this.#markUnread(e);
				this.version++;
				return;
			case CustomName.chat: {
				const { action, chat } = e.value;
				if (action === "deleted") {
					this.#chats.delete(chat.id);
					this.#threads.delete(`chat:${chat.id}`);
					this.#summaries.forget(chat.id);
					this.#steered.forget(chat.id);
				} else this.#upsertChat(chat);
				this.version++;
				return;
			}
			case CustomName.memoriesRecalled: {
				const key = threadOf(e);
				if (!key || !e.task_id) return;
				this.#thread(key).applyRecalled(`${e.task_id}:${e.attempt ?? 0}`, e.value);
				this.version++;
				return;
			}
			case CustomName.usage: {
				const key = threadOf(e);
				if (!key || !e.task_id) return;
				// A task's spend only grows, and once a call had no price its total has none: the
				// same whatever order the calls arrive in.
				const known = this.#taskCosts.get(e.task_id);
				const total = e.value.task_cost_usd;
				this.#taskCosts.set(e.task_id, known === null || total === null ? null : Math.max(known ?? 0, total));
				this.#thread(key).applyUsage(e.value, {
					eventId: e.id,
					taskId: e.task_id,
					attempt: e.attempt,
					ts: e.ts,
					position: runPosition(e),
				});
				this.version++;
				return;
			}
			case CustomName.contextCompacted: {
				if (!e.chat_id) return;
				const v = e.value;
				this.#summaries.note(e.chat_id, { id: v.summary_id, turns: v.turns, throughTurnId: v.through_turn_id });
				this.version++;
				return;
			}
			default:
				// Known, but nothing the timeline shows (a notice, MCP server news, AG-UI-only attempt events).
				return;
		}
	}

	// ---- helpers --------------------------------------------------------------------------

	#thread(key: ThreadKey): Thread {
		let thread = this.#threads.get(key);
		if (!thread) {
			thread = new Thread();
			this.#threads.set(key, thread);
		}
		return thread;
	}

	#applyApproval(a: Approval): void {
		const current = this.#approvals.get(a.id);
		const newer =
			!current ||
			(a.status !== "pending" && (current.status === "pending" || (a.decided_at ?? 0) >= (current.decided_at ?? 0)));
		if (newer) this.#approvals.set(a.id, a);
		const key = threadOf({ chat_id: a.chat_id ?? undefined, task_id: a.task_id });
		if (key) this.#thread(key).applyApproval(a);
	}

	#upsertChat(chat: Chat): void {
		const current = this.#chats.get(chat.id);
		this.#chats.set(chat.id, {
			id: chat.id,
			title: chat.title,
			createdAt: chat.created_at,
			updatedAt: Math.max(chat.updated_at, current?.updatedAt ?? 0),
			unread: current?.unread ?? 0,
			policy: chat.policy ?? current?.policy,
		});
	}

	#markUnread(e: KnownHubEvent): void {
		const key = threadOf(e);
		if (!key || key === this.#open) return;
		if (e.chat_id) {
			const chat = this.#chats.get(e.chat_id);
			if (chat) {
				// A chat's unread count is its new messages (each starts once), not its events.
				if (e.type === EventType.TEXT_MESSAGE_START) chat.unread++;
				chat.updatedAt = Math.max(chat.updatedAt, e.ts);
			}
		} else if (e.task_id) {
			const task = this.#tasks.get(e.task_id);
			if (task) task.unread++;
		}
	}
}

/** Chat events belong to the chat's thread; other task events to the task's. */
export function threadOf(e: Pick<HubEnvelope, "chat_id" | "task_id">): ThreadKey | undefined {
	if (e.chat_id) return `chat:${e.chat_id}`;
	if (e.task_id) return `task:${e.task_id}`;
	return undefined;
}

function splitKey(key: ThreadKey): ["chat" | "task", string] {
	const i = key.indexOf(":");
	return [key.slice(0, i) as "chat" | "task", key.slice(i + 1)];
}
