import type { SummaryView } from "./timeline-items.ts";

/** Each chat's summaries of its older turns, by summary id. */
export class TurnSummaries {
	readonly #byChat = new Map<string, Map<string, SummaryView>>();

	/** What is known of a summary: an event brings no text, the API does; the text is kept. */
	note(chatId: string, summary: SummaryView): void {
		let known = this.#byChat.get(chatId);
		if (!known) {
			known = new Map();
			this.#byChat.set(chatId, known);
		}
		const current = known.get(summary.id);
		known.set(summary.id, {
			...summary,
			content: summary.content ?? current?.content,
			createdAt: summary.createdAt ?? current?.createdAt,
		});
	}

	/** A chat's summaries, oldest first (fewest turns covered). */
	list(chatId: string): SummaryView[] {
		const known = this.#byChat.get(chatId);
		return known ? [...known.values()].sort((a, b) => a.turns - b.turns || a.id.localeCompare(b.id)) : [];
	}

	/** A deleted chat's. */
	forget(chatId: string): void {
		this.#byChat.delete(chatId);
	}
}
