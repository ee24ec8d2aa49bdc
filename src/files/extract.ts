import { log } from "../log.ts";
import { type FileRow, markExtracted } from "../storage/files.ts";
import { imageSize } from "./extract-image.ts";
import { pdfPages } from "./extract-pdf.ts";
import { fileKey as bytesKey, textKey as extractedKey } from "./objects.ts";

/**
 * What the model can be given of a file, learnt once and kept: a PDF's text (R2
 * `files/<user>/<id>.txt`, pages separated by form feeds) and page count, an image's width and
 * height, a text file's length. `files.meta` holds the facts and `extracted_at` says they are
 * there: a later run (or read_attachment) reads them instead of the file.
 */

/** How the model is given a file. */
export type FileKind = "image" | "pdf" | "text" | "other";

/** The images providers take as image parts. */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** Text that isn't `text/*` by its type. */
const TEXT_TYPES = new Set(["application/json", "application/xml", "application/x-ndjson", "application/yaml"]);

export function fileKind(type: string): FileKind {
	const base = type.split(";")[0]?.trim().toLowerCase() ?? "";
	if (IMAGE_TYPES.has(base)) return "image";
	if (base === "application/pdf") return "pdf";
	if (base.startsWith("text/") || TEXT_TYPES.has(base) || base.endsWith("+json") || base.endsWith("+xml"))
		return "text";
	return "other";
}

/** `files.meta`, as extraction writes it. */
export interface FileFacts {
	pages?: number;
	width?: number;
	height?: number;
	/** Characters (UTF-16 units) of the file's text: a text file's own, a PDF's extracted. */
	chars?: number;
	/** Why nothing could be read from it (a broken or encrypted PDF): the model is told. */
	error?: string;
}

/** A PDF's text kept is cut here: far more than any prompt holds, and read_attachment reads it whole. */
export const MAX_EXTRACTED_CHARS = 4_000_000;
/** An image header is found within this many first bytes (a JPEG's EXIF can be long). */
const IMAGE_HEADER_BYTES = 256 * 1024;
/** Pages between two pages' text in the kept text. */
export const PAGE_BREAK = "\f";

const fileKey = (file: FileRow) => bytesKey(file.user_id, file.id);
const textKey = (file: FileRow) => extractedKey(file.user_id, file.id);

/** The facts kept for a file, if it was extracted. */
export function keptFacts(file: FileRow): FileFacts | undefined {
	if (file.extracted_at === null) return undefined;
	try {
		return file.meta ? (JSON.parse(file.meta) as FileFacts) : {};
	} catch {
		return {};
	}
}

/**
 * The file's facts: kept ones, or extracted now (once: two runs at once may both extract, and
 * write the same). A storage failure throws (the next run tries again); a file that can't be
 * read is kept as such (`error`), so it is not tried again.
 */
export async function ensureExtracted(env: Env, file: FileRow, now = Date.now()): Promise<FileFacts> {
	const kept = keptFacts(file);
	if (kept) return kept;
	const facts = await extract(env, file);
	await markExtracted(env.DB, file.user_id, file.id, now, { ...facts });
	file.meta = JSON.stringify(facts);
	file.extracted_at = now;
	return facts;
}

async function extract(env: Env, file: FileRow): Promise<FileFacts> {
	switch (fileKind(file.type)) {
		case "image": {
			const head = await env.FILES.get(fileKey(file), { range: { offset: 0, length: IMAGE_HEADER_BYTES } });
			if (!head) return { error: "its bytes are missing" };
			return imageSize(new Uint8Array(await head.arrayBuffer())) ?? { error: "its image header could not be read" };
		}
		case "pdf":
			return extractPdf(env, file);
		case "text": {
			const object = await env.FILES.get(fileKey(file));
			if (!object) return { error: "its bytes are missing" };
			return { chars: await countChars(object.body) };
		}
		default:
			return {};
	}
}

async function extractPdf(env: Env, file: FileRow): Promise<FileFacts> {
	const object = await env.FILES.get(fileKey(file));
	if (!object) return { error: "its bytes are missing" };
	let pages: string[];
	let total: number;
	try {
		({ pages, total } = await pdfPages(new Uint8Array(await object.arrayBuffer()), MAX_EXTRACTED_CHARS));
	} catch (error) {
		log.warn("a PDF's text could not be extracted", { fileId: file.id, error });
		const message = error instanceof Error ? error.message : String(error);
		return {
			error: `its text could not be read (${/password/i.test(message) ? "it is encrypted" : "not a readable PDF"})`,
		};
	}
	let text = pages.join(PAGE_BREAK);
	if (text.length > MAX_EXTRACTED_CHARS) text = text.slice(0, MAX_EXTRACTED_CHARS);
	await env.FILES.put(textKey(file), text, { httpMetadata: { contentType: "text/plain; charset=utf-8" } });
	return { pages: total, chars: text.length };
}

/** Characters of a UTF-8 stream, decoded as it flows (a 25 MB text file is never held whole). */
async function countChars(body: ReadableStream<Uint8Array>): Promise<number> {
	const decoder = new TextDecoder();
	let chars = 0;
	for await (const chunk of body) chars += decoder.decode(chunk, { stream: true }).length;
	return chars + decoder.decode().length;
}

/** Where a file's text is read from: the file itself (text), or what was extracted (a PDF). */
function textSource(file: FileRow): string | undefined {
	const kind = fileKind(file.type);
	if (kind === "text") return fileKey(file);
	if (kind === "pdf") return textKey(file);
	return undefined;
}

/** A character range of a file's text: `[offset, offset + length)`, and whether more follows. */
export interface TextSlice {
	text: string;
	offset: number;
	/** There is text after this slice. */
	more: boolean;
}

/**
 * Characters `offset` to `offset + length` of the file's text, streamed from its start (a
 * character's place in UTF-8 bytes is only known by reading up to it) and stopped once read.
 * Undefined for a file with no text (an image, a PDF not extracted).
 */
export async function readTextRange(
	env: Env,
	file: FileRow,
	offset: number,
	length: number,
): Promise<TextSlice | undefined> {
	const key = textSource(file);
	if (!key) return undefined;
	// From the start, `length` characters (and one more, to know whether more follow) lie
	// within four bytes each: a text file bigger than that is read only that far.
	const bytes = (length + 1) * 4;
	const partial = offset === 0 && fileKind(file.type) === "text" && file.size > bytes;
	const object = await env.FILES.get(key, partial ? { range: { offset: 0, length: bytes } } : {});
	if (!object) return undefined;
	const decoder = new TextDecoder();
	const reader = object.body.getReader();
	const end = offset + length + 1;
	let seen = 0;
	let text = "";
	try {
		for (;;) {
			const { done, value } = await reader.read();
			const chunk = done ? decoder.decode() : decoder.decode(value, { stream: true });
			const from = Math.max(0, offset - seen);
			const to = Math.min(chunk.length, end - seen);
			if (to > from) text += chunk.slice(from, to);
			seen += chunk.length;
			if (done || seen >= end) break;
		}
	} finally {
		// A range is short: read to its end. A whole file read part way is cancelled.
		await (partial ? drain(reader) : reader.cancel()).catch(() => undefined);
	}
	return { text: text.slice(0, length), offset, more: text.length > length };
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
	for (let read = await reader.read(); !read.done; read = await reader.read());
}

/** A PDF's kept text, page by page (read whole: it is cut at MAX_EXTRACTED_CHARS when kept). */
export async function readPages(env: Env, file: FileRow): Promise<string[] | undefined> {
	if (fileKind(file.type) !== "pdf") return undefined;
	const object = await env.FILES.get(textKey(file));
	if (!object) return undefined;
	return (await object.text()).split(PAGE_BREAK);
}

/** The file's bytes (an image or a PDF given to the model as it is). */
export async function readBytes(env: Env, file: FileRow): Promise<Uint8Array | undefined> {
	const object = await env.FILES.get(fileKey(file));
	return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
}
