/**
 * Reads a body of JSON Lines as it arrives, without holding more than one line: an import may
 * be megabytes, and a Worker has 128 MB. Lines are numbered from 1 (blank ones count, so a
 * number points at the line in the file the person has).
 */

export type JsonLine =
	| { kind: "line"; line: number; text: string }
	/** A line over `maxLineBytes`: its bytes were dropped, not kept. */
	| { kind: "too_long"; line: number }
	/** The body passed `maxBytes`: nothing from `line` on was read. */
	| { kind: "too_large"; line: number };

export interface JsonLinesOptions {
	maxBytes: number;
	maxLineBytes: number;
}

export async function* readJsonLines(
	body: ReadableStream<Uint8Array> | null,
	{ maxBytes, maxLineBytes }: JsonLinesOptions,
): AsyncGenerator<JsonLine> {
	if (!body) return;
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let line = 1;
	let pending = "";
	let pendingBytes = 0;
	let tooLong = false;
	let total = 0;
	const finish = (): JsonLine => {
		const out: JsonLine = tooLong ? { kind: "too_long", line } : { kind: "line", line, text: pending };
		line++;
		pending = "";
		pendingBytes = 0;
		tooLong = false;
		return out;
	};
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			total += value.byteLength;
			if (total > maxBytes) {
				yield { kind: "too_large", line };
				return;
			}
			let start = 0;
			for (let i = value.indexOf(0x0a); i !== -1; i = value.indexOf(0x0a, start)) {
				append(value.subarray(start, i), false);
				yield finish();
				start = i + 1;
			}
			append(value.subarray(start), true);
		}
		pending += decoder.decode();
		if (pending.trim() !== "" || tooLong) yield finish();
	} finally {
		// A consumer that stops early (the line cap) leaves the rest of the body unread.
		await reader.cancel().catch(() => {});
	}

	/** Adds bytes to the current line unless it is already too long (then they are dropped). */
	function append(bytes: Uint8Array, stream: boolean) {
		pendingBytes += bytes.byteLength;
		if (pendingBytes > maxLineBytes) tooLong = true;
		if (tooLong) {
			pending = "";
			// Keep the decoder's state clean for the next line.
			if (!stream) decoder.decode();
			return;
		}
		pending += decoder.decode(bytes, { stream });
	}
}
