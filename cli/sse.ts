/** A Server-Sent Events reader for `fetch` bodies (the WHATWG event-stream format). */

export interface SseMessage {
	event: string;
	data: string;
	id: string | undefined;
}

/** Yields each dispatched message; comments (keep-alives) and retry hints are skipped. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let buffer = "";
	let event = "";
	let data: string[] = [];
	let id: string | undefined;
	try {
		for (;;) {
			const { value, done } = await reader.read();
			if (done) return;
			buffer += decoder.decode(value, { stream: true });
			for (;;) {
				const end = buffer.search(/\r\n|\r|\n/);
				if (end < 0) break;
				const line = buffer.slice(0, end);
				buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
				if (line === "") {
					if (data.length > 0) yield { event: event || "message", data: data.join("\n"), id };
					event = "";
					data = [];
					continue;
				}
				if (line.startsWith(":")) continue;
				const colon = line.indexOf(":");
				const field = colon < 0 ? line : line.slice(0, colon);
				const raw = colon < 0 ? "" : line.slice(colon + 1);
				const text = raw.startsWith(" ") ? raw.slice(1) : raw;
				if (field === "event") event = text;
				else if (field === "data") data.push(text);
				else if (field === "id" && !text.includes("\0")) id = text;
			}
		}
	} finally {
		// Stopping early (the task ended, Ctrl+C) closes the connection too.
		await reader.cancel().catch(() => {});
	}
}
