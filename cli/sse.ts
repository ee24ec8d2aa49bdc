/** Server-Sent Events from a `fetch` body, parsed by eventsource-parser (the WHATWG event-stream format). */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseMessage {
	event: string;
	data: string;
	/** The last event id seen so far (it carries over to later messages, as in an EventSource). */
	id: string | undefined;
	/** This message's own `id:` field (undefined when it had none). */
	ownId?: string;
}

export interface SseOptions {
	/**
	 * Each comment's text, without the colon and one space (`: end {…}` → `end {…}`), called in
	 * stream order: after every message before it has been yielded (and handled).
	 */
	onComment?: (text: string) => void;
}

/** Yields each dispatched message; comments (keep-alives too) go to `onComment`; retry hints are dropped. */
export async function* readSse(body: ReadableStream<Uint8Array>, options: SseOptions = {}): AsyncGenerator<SseMessage> {
	// The parser calls back as it reads; messages and comments wait here in order.
	const queue: (EventSourceMessage | { comment: string })[] = [];
	const parser = createParser({
		onEvent: (message) => queue.push(message),
		onComment: (comment) => queue.push({ comment }),
	});
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let id: string | undefined;
	try {
		for (;;) {
			const { value, done } = await reader.read();
			if (done) return;
			parser.feed(decoder.decode(value, { stream: true }));
			for (let item = queue.shift(); item; item = queue.shift()) {
				if ("comment" in item) {
					options.onComment?.(item.comment);
					continue;
				}
				if (item.id !== undefined) id = item.id;
				yield {
					event: item.event || "message",
					data: item.data,
					id,
					...(item.id !== undefined ? { ownId: item.id } : {}),
				};
			}
		}
	} finally {
		// Stopping early (the task ended, Ctrl+C) closes the connection too.
		await reader.cancel().catch(() => {});
	}
}
