import type { Timeline } from "../../../src/client/index.ts";
import { type ClientEvent, CustomName, EventType } from "../../../src/protocol/index.ts";
import type { MemoryApi } from "../lib/memories.ts";
import type { Route } from "../lib/route.ts";

/**
 * A chat's summaries of its older turns (`GET /api/chats/:id/summaries`) into the timeline:
 * when the chat opens, and when the open chat is compacted (the event has no text; the
 * API has it, for the mark to open).
 */
export class ChatSummaries {
	constructor(
		readonly memories: MemoryApi,
		readonly timeline: Timeline,
		readonly changed: () => void,
	) {}

	/** Reads them now; a failure is the caller's to show. */
	async load(chatId: string): Promise<void> {
		this.timeline.applySummaries(chatId, await this.memories.summaries(chatId));
		this.changed();
	}

	/** In the background: without them the chat still reads, and a mark says so when opened. */
	loadQuietly(chatId: string): void {
		this.load(chatId).catch(() => undefined);
	}

	onEvent(event: ClientEvent, route: Route): void {
		if (event.type !== EventType.CUSTOM || event.name !== CustomName.contextCompacted) return;
		if (route.kind === "chat" && route.id === event.chat_id) this.loadQuietly(route.id);
	}
}
