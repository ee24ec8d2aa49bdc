/**
 * The one file of a `multipart/form-data` upload, as a stream: read from the request as the
 * reader pulls, never buffered beyond a chunk and a boundary's length. Written here because
 * the maintained parsers hand a part over only once it is whole in memory
 * (`@remix-run/multipart-parser` 0.16: `MultipartPart.content: Uint8Array[]`; see docs/files.md).
 *
 * The first part with a file name (or named `file`) is the upload; text fields before it are
 * skipped (a few, small); whatever follows the file is not read.
 */
import { invalid } from "../errors.ts";

/** A part's header block at most (as browsers and `remix` allow). */
const MAX_HEADER_BYTES = 8 * 1024;
/** What is read and dropped before the file: the preamble and text fields, together. */
const MAX_SKIPPED_BYTES = 64 * 1024;
const MAX_SKIPPED_PARTS = 16;
/** Transport padding after a boundary (RFC 2046: spaces and tabs): a few bytes in practice. */
const MAX_PADDING_BYTES = 64;

export interface FilePart {
	/** The part's `filename*` or `filename` (as sent: cleaning is the caller's). */
	filename: string | undefined;
	/** The file's bytes, ending before the next boundary. */
	stream: ReadableStream<Uint8Array>;
}

/**
 * The boundary of a `multipart/form-data` Content-Type; undefined when the body is not
 * multipart (a raw upload). A multipart type without a usable boundary is a 400.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
	if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
	const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
	const boundary = match?.[1] ?? match?.[2];
	if (!boundary) throw invalid("multipart/form-data without a boundary (1-70 characters)");
	return boundary;
}

const encoder = new TextEncoder();
const CRLF2 = encoder.encode("\r\n\r\n");

/** Reads the form up to its file part's bytes; the stream that comes back reads the rest as pulled. */
export async function openFilePart(body: ReadableStream<Uint8Array>, boundary: string): Promise<FilePart> {
	const scanner = new Scanner(body.getReader());
	// A leading CRLF makes the first boundary look like every other one (`\r\n--boundary`).
	const delimiter = encoder.encode(`\r\n--${boundary}`);
	await scanner.skipPast(delimiter, MAX_SKIPPED_BYTES, "the form's preamble");
	let skipped = 0;
	for (;;) {
		const headers = await readPartHeaders(scanner);
		const disposition = dispositionParams(headers.get("content-disposition") ?? "");
		const filename = disposition.filename;
		if (filename !== undefined || disposition.name === "file") {
			return { filename, stream: scanner.streamUntil(delimiter) };
		}
		if (++skipped > MAX_SKIPPED_PARTS) throw invalid(`no file in the first ${MAX_SKIPPED_PARTS} parts of the form`);
		await scanner.skipPast(delimiter, MAX_SKIPPED_BYTES, "a form field before the file");
	}
}

/** After a boundary: the end of the form (no file: 400), or a part's headers (names lower-cased). */
async function readPartHeaders(scanner: Scanner): Promise<Map<string, string>> {
	await scanner.need(2);
	if (scanner.startsWith("--")) throw invalid("the form has no file part");
	// Transport padding after the boundary (bounded: each byte is a step), then the CRLF that the
	// header block is searched from.
	let padding = 0;
	while ((await scanner.need(1)) && (scanner.startsWith(" ") || scanner.startsWith("\t"))) {
		if (++padding > MAX_PADDING_BYTES)
			throw invalid(`more than ${MAX_PADDING_BYTES} bytes of padding after a boundary`);
		scanner.drop(1);
	}
	const block = await scanner.readUntil(CRLF2, MAX_HEADER_BYTES, "a part's headers");
	const text = new TextDecoder().decode(block);
	if (!text.startsWith("\r\n") && text !== "") throw invalid("malformed multipart boundary line");
	const headers = new Map<string, string>();
	for (const line of text.split("\r\n")) {
		const colon = line.indexOf(":");
		if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
	}
	return headers;
}

/** `name` and `filename` of a Content-Disposition (`filename*`, RFC 5987, wins over `filename`). */
export function dispositionParams(value: string): { name?: string; filename?: string } {
	const params = new Map<string, string>();
	// `key=value` or `key="quoted; value"`, after the disposition type.
	const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
	for (const m of value.matchAll(re)) {
		const key = m[1]?.toLowerCase();
		if (!key || params.has(key)) continue;
		const raw = m[2] !== undefined ? m[2].replace(/\\(["\\])/g, "$1") : (m[3] ?? "").trim();
		params.set(key, raw);
	}
	const extended = params.get("filename*");
	const decoded = extended === undefined ? undefined : decodeExtended(extended);
	return { name: params.get("name"), filename: decoded ?? params.get("filename") };
}

/** `UTF-8''caf%C3%A9.txt` → `café.txt`; undefined when it isn't that. */
function decodeExtended(value: string): string | undefined {
	const match = /^utf-8'[^']*'(.*)$/i.exec(value);
	if (!match?.[1]) return undefined;
	try {
		return decodeURIComponent(match[1]);
	} catch {
		return undefined;
	}
}

/** Bytes of a stream with a little look-ahead: what is searched and not yet handed on. */
class Scanner {
	#buffer: Uint8Array = encoder.encode("\r\n");
	constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

	/** Reads one more chunk; false at the end of the body. */
	async #fill(): Promise<boolean> {
		const { done, value } = await this.reader.read();
		if (done) return false;
		if (this.#buffer.length === 0) this.#buffer = value;
		else {
			const joined = new Uint8Array(this.#buffer.length + value.length);
			joined.set(this.#buffer);
			joined.set(value, this.#buffer.length);
			this.#buffer = joined;
		}
		return true;
	}

	/** At least `n` bytes are buffered (false: the body ended first). */
	async need(n: number): Promise<boolean> {
		while (this.#buffer.length < n) if (!(await this.#fill())) return false;
		return true;
	}

	startsWith(text: string): boolean {
		const bytes = encoder.encode(text);
		return bytes.every((b, i) => this.#buffer[i] === b);
	}

	drop(n: number): void {
		this.#buffer = this.#buffer.subarray(n);
	}

	/** The bytes before `needle` (consumed with it); 400 past `max` bytes or at the end of the body. */
	async readUntil(needle: Uint8Array, max: number, what: string): Promise<Uint8Array> {
		for (;;) {
			const at = indexOf(this.#buffer, needle);
			if (at >= 0) {
				const found = this.#buffer.subarray(0, at);
				this.drop(at + needle.length);
				return found;
			}
			if (this.#buffer.length > max + needle.length) throw invalid(`${what} is over ${max} bytes`);
			if (!(await this.#fill())) throw invalid(`the form ended inside ${what}`);
		}
	}

	/** Drops everything up to and including `needle`; 400 past `max` bytes or at the end of the body. */
	async skipPast(needle: Uint8Array, max: number, what: string): Promise<void> {
		let dropped = 0;
		for (;;) {
			const at = indexOf(this.#buffer, needle);
			if (at >= 0) {
				this.drop(at + needle.length);
				return;
			}
			const keep = needle.length - 1;
			if (this.#buffer.length > keep) {
				dropped += this.#buffer.length - keep;
				this.drop(this.#buffer.length - keep);
			}
			if (dropped > max) throw invalid(`${what} is over ${max} bytes`);
			if (!(await this.#fill())) throw invalid(`the form ended inside ${what}`);
		}
	}

	/**
	 * The bytes up to `needle` as a stream: each pull hands on what can't be the start of the
	 * needle and keeps the rest (under its length) to search with the next chunk.
	 */
	streamUntil(needle: Uint8Array): ReadableStream<Uint8Array> {
		return new ReadableStream<Uint8Array>(
			{
				pull: async (controller) => {
					for (;;) {
						const at = indexOf(this.#buffer, needle);
						if (at >= 0) {
							if (at > 0) controller.enqueue(this.#buffer.subarray(0, at));
							this.drop(at);
							controller.close();
							return;
						}
						const safe = this.#buffer.length - (needle.length - 1);
						if (safe > 0) {
							controller.enqueue(this.#buffer.subarray(0, safe));
							this.drop(safe);
							return;
						}
						if (!(await this.#fill())) {
							controller.error(invalid("the form ended inside the file (no closing boundary)"));
							return;
						}
					}
				},
				cancel: (reason) => this.reader.cancel(reason),
			},
			// Nothing is read ahead of the consumer: the request's own backpressure holds.
			{ highWaterMark: 0 },
		);
	}
}

/** Where `needle` first occurs in `hay`, or -1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
	const first = needle[0];
	const last = hay.length - needle.length;
	for (let i = hay.indexOf(first as number, from); i !== -1 && i <= last; i = hay.indexOf(first as number, i + 1)) {
		let j = 1;
		while (j < needle.length && hay[i + j] === needle[j]) j++;
		if (j === needle.length) return i;
	}
	return -1;
}
