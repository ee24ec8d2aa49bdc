/**
 * A window of a text file: characters `offset` to `offset + length`, and whether more follow.
 * Read from the start of the bytes (a character's place in UTF-8 is only known by reading up to
 * it) and stopped as soon as the window is full, so a large file is never held whole.
 */
export interface TextWindow {
	text: string;
	offset: number;
	/** There is text after this window. */
	more: boolean;
}

/** A window of a text in memory (an inline file of before #25). */
export function windowOf(text: string, offset: number, length: number): TextWindow {
	return { text: text.slice(offset, offset + length), offset, more: text.length > offset + length };
}

/**
 * A window of a stream of UTF-8 bytes, or `binary` as soon as what is read is not text (invalid
 * UTF-8 or a NUL): such a file is described, never shown.
 */
export async function streamWindow(
	body: ReadableStream<Uint8Array>,
	offset: number,
	length: number,
): Promise<TextWindow | "binary"> {
	const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
	const reader = body.getReader();
	// One character past the window says whether more follow.
	const end = offset + length + 1;
	let seen = 0;
	let text = "";
	try {
		for (;;) {
			const { done, value } = await reader.read();
			const chunk = decode(decoder, done ? undefined : value);
			if (chunk === null || chunk.includes("\0")) return "binary";
			const from = Math.max(0, offset - seen);
			const to = Math.min(chunk.length, end - seen);
			if (to > from) text += chunk.slice(from, to);
			seen += chunk.length;
			if (done || seen >= end) break;
		}
	} finally {
		await reader.cancel().catch(() => undefined);
	}
	return { text: text.slice(0, length), offset, more: text.length > length };
}

/** The next piece of text (the decoder's end when `bytes` is undefined), or null when the bytes aren't UTF-8. */
function decode(decoder: TextDecoder, bytes: Uint8Array | undefined): string | null {
	try {
		return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
	} catch {
		return null;
	}
}
