/**
 * A message steered into a running turn (`status: "steered"`) that the run hasn't read yet:
 * no event shows it until the run takes it between two steps (or, if the turn ends first,
 * it opens the chat's next turn under the same id).
 */
export interface SteeredMessage {
	messageId: string;
	/** The running turn it was handed to. */
	turnId: string;
	text: string;
	ts: number;
}

/** Messages this client steered into a running turn, by chat, until an event shows them. */
export class SteeredMessages {
	readonly #byChat = new Map<string, SteeredMessage[]>();

	/** A message steered into a turn of `chatId`; false when it was known already. */
	note(chatId: string, message: SteeredMessage): boolean {
		const list = this.#byChat.get(chatId) ?? [];
		if (list.some((m) => m.messageId === message.messageId)) return false;
		list.push(message);
		this.#byChat.set(chatId, list);
		return true;
	}

	/** `chatId`'s messages that `shown` (the chat's thread has an item of that id) doesn't find yet, oldest first. */
	pending(chatId: string, shown: (messageId: string) => boolean): SteeredMessage[] {
		const list = this.#byChat.get(chatId);
		if (!list) return [];
		const left = list.filter((m) => !shown(m.messageId));
		if (left.length !== list.length) {
			if (left.length) this.#byChat.set(chatId, left);
			else this.#byChat.delete(chatId);
		}
		return left;
	}

	/** A deleted chat's. */
	forget(chatId: string): void {
		this.#byChat.delete(chatId);
	}
}
