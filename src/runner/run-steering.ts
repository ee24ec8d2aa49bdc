import type { ModelMessage } from "ai";
import { sendMessage } from "../chats/service.ts";
import type { Transcript } from "../chats/transcript.ts";
import type { Deps } from "../deps.ts";
import { log } from "../log.ts";
import { type AgUiEvent, EventType } from "../protocol/index.ts";
import { getChat } from "../storage/chats.ts";
import { markSteersTaken, takeLeftoverSteers, unreadSteers } from "../storage/steers.ts";
import type { TaskRow } from "../storage/tasks.ts";

/** Where a steered message's id rides on its model message, so a resumed run knows it has it. */
const KEY = "sparky";

/**
 * Messages steered into a running chat turn (docs/agent.md, "Steering"): read between steps,
 * they join the conversation as user messages, go out as the turn's own user-message events
 * (so every view shows where they entered), and into its history. A message counts as read
 * once the checkpoint holding it is written (`written`): a crash before that reads it again,
 * and one after finds it in the checkpoint and doesn't add it twice.
 */
export class RunSteering {
	readonly #db: D1Database;
	readonly #task: TaskRow;
	readonly #emit: (event: AgUiEvent) => void;
	readonly #transcript: Transcript | undefined;
	/** Steered ids the conversation holds (from earlier attempts' checkpoints, and this run). */
	readonly #held = new Set<string>();

	constructor(options: {
		db: D1Database;
		task: TaskRow;
		saved: ModelMessage[];
		emit: (event: AgUiEvent) => void;
		transcript: Transcript | undefined;
	}) {
		this.#db = options.db;
		this.#task = options.task;
		this.#emit = options.emit;
		this.#transcript = options.transcript;
		for (const message of options.saved) {
			const id = steerIdOf(message);
			if (id) this.#held.add(id);
		}
	}

	/** The messages not read yet (runtime.ts `steer`); only a chat turn has any. */
	readonly take = async (): Promise<ModelMessage[]> => {
		if (this.#task.kind !== "chat" || !this.#task.chat_id) return [];
		const unread = await unreadSteers(this.#db, this.#task.id);
		const fresh = unread.filter((s) => !this.#held.has(s.id));
		// In the checkpoint already (the run stopped before marking them): only the mark is missing.
		const held = unread.filter((s) => this.#held.has(s.id)).map((s) => s.id);
		if (held.length) await markSteersTaken(this.#db, held, 0, Date.now());
		for (const steer of fresh) {
			this.#held.add(steer.id);
			this.#transcript?.add({ id: steer.id, role: "user", content: steer.text });
			const base = { messageId: steer.id };
			this.#emit({ type: EventType.TEXT_MESSAGE_START, ...base, role: "user" } as AgUiEvent);
			if (steer.text) this.#emit({ type: EventType.TEXT_MESSAGE_CONTENT, ...base, delta: steer.text } as AgUiEvent);
			this.#emit({ type: EventType.TEXT_MESSAGE_END, ...base } as AgUiEvent);
		}
		return fresh.map((s) => ({ role: "user", content: s.text, providerOptions: { [KEY]: { steerId: s.id } } }));
	};

	/** A checkpoint holding `added` was written: its steered messages are read (at `step`). */
	async written(added: ModelMessage[], step: number): Promise<void> {
		const ids = added.map(steerIdOf).filter((id): id is string => id !== undefined);
		await markSteersTaken(this.#db, ids, step, Date.now());
	}
}

function steerIdOf(message: ModelMessage): string | undefined {
	if (message.role !== "user") return undefined;
	const id = (message.providerOptions?.[KEY] as { steerId?: unknown } | undefined)?.steerId;
	return typeof id === "string" ? id : undefined;
}

/**
 * A turn ended with steered messages it never read (it answered, failed or was stopped first):
 * they become the chat's next turn, as if sent with `queue`. Never throws (a refusal, such as a
 * spent budget, is logged: the messages stay out of the chat, and the sender was told `steered`).
 */
export async function requeueUnread(deps: Deps, task: TaskRow, now: number): Promise<void> {
	if (task.kind !== "chat" || !task.chat_id) return;
	try {
		const left = await takeLeftoverSteers(deps.env.DB, task.id);
		if (left.length === 0) return;
		const chat = await getChat(deps.env.DB, task.chat_id);
		if (!chat) return;
		const parts = left.map((s) => ({ id: s.id, text: s.text }));
		await sendMessage(deps, chat, parts.map((p) => p.text).join("\n\n"), { policy: "queue", parts }, now);
	} catch (error) {
		log.warn("steered messages a turn did not read could not be sent on", { taskId: task.id, error: String(error) });
	}
}
