import { extensionOf } from "./names.ts";

/** How much of the start of a file its type is judged by. */
export const SNIFF_BYTES = 4096;

/** Images a browser shows and never runs: the only types served `inline`. */
const SAFE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export const isSafeImage = (type: string): boolean => SAFE_IMAGES.has(type);

/** Signatures at offset 0 (`null`: any byte). A short table, not a library: see docs/files.md. */
const MAGIC: [type: string, signature: (number | null)[]][] = [
	["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
	["image/jpeg", [0xff, 0xd8, 0xff]],
	["image/gif", ascii("GIF87a")],
	["image/gif", ascii("GIF89a")],
	["image/webp", [...ascii("RIFF"), null, null, null, null, ...ascii("WEBP")]],
	["application/pdf", ascii("%PDF-")],
	["application/zip", [0x50, 0x4b, 0x03, 0x04]],
	["application/zip", [0x50, 0x4b, 0x05, 0x06]],
	["application/zip", [0x50, 0x4b, 0x07, 0x08]],
	["application/gzip", [0x1f, 0x8b]],
];

function ascii(text: string): number[] {
	return [...text].map((c) => c.charCodeAt(0));
}

/**
 * The type of a file, judged by its first bytes (`head`, at most SNIFF_BYTES; `complete` when
 * it is the whole file) and, for text only, its name: a client's Content-Type is never asked.
 * Known binary signatures first; then UTF-8 text, told apart by content (HTML, SVG, XML,
 * JSON, CSV, Markdown) or by extension; anything else is `application/octet-stream`. HTML
 * named `.png` is `text/html`: the bytes decide.
 */
export function sniffType(head: Uint8Array, complete: boolean, name: string): string {
	for (const [type, signature] of MAGIC) {
		if (signature.length <= head.length && signature.every((b, i) => b === null || head[i] === b)) return type;
	}
	const text = asText(head, complete);
	return text === null ? "application/octet-stream" : textType(text, complete, extensionOf(name));
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The head as text, or null when it isn't UTF-8 text (a NUL, invalid UTF-8, many control characters). */
function asText(head: Uint8Array, complete: boolean): string | null {
	if (head.includes(0)) return null;
	let text: string;
	try {
		text = decoder.decode(complete ? head : head.subarray(0, head.length - cutCharacter(head)));
	} catch {
		return null;
	}
	// Tab, line feed, vertical tab, form feed, carriage return and escape are text; other controls are not.
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is counted.
	const controls = text.match(/[\u0001-\u0008\u000e-\u001a\u001c-\u001f\u007f]/g)?.length ?? 0;
	return controls * 100 > text.length ? null : text;
}

/** How many bytes at the end of a cut head are a character cut short (0-3). */
function cutCharacter(head: Uint8Array): number {
	for (let i = head.length - 1; i >= Math.max(0, head.length - 3); i--) {
		const b = head[i] as number;
		if ((b & 0xc0) === 0x80) continue; // a continuation byte: look for its lead
		const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
		return head.length - i < length ? head.length - i : 0;
	}
	return 0;
}

/** WHATWG MIME sniffing's HTML openings (each followed by a space or `>`). */
const HTML_OPENINGS = [
	"!doctype html",
	"html",
	"head",
	"script",
	"iframe",
	"h1",
	"div",
	"font",
	"table",
	"a",
	"style",
	"title",
	"b",
	"body",
	"br",
	"p",
	"!--",
];

function textType(text: string, complete: boolean, ext: string): string {
	const start = text
		.replace(/^\ufeff/, "")
		.trimStart()
		.slice(0, 512)
		.toLowerCase();
	if (looksLikeHtml(start) || ext === "html" || ext === "htm") return "text/html";
	if (start.startsWith("<svg") || (start.startsWith("<?xml") && text.includes("<svg")) || ext === "svg") {
		return "image/svg+xml";
	}
	if (start.startsWith("<?xml") || ext === "xml") return "application/xml";
	if (ext === "json" || (complete && (start.startsWith("{") || start.startsWith("[")) && isJson(text))) {
		return "application/json";
	}
	if (ext === "csv" || looksLikeCsv(text)) return "text/csv";
	if (ext === "md" || ext === "markdown" || /^#{1,6} \S/.test(start)) return "text/markdown";
	return "text/plain";
}

function looksLikeHtml(start: string): boolean {
	if (!start.startsWith("<")) return false;
	return HTML_OPENINGS.some((tag) => {
		if (!start.startsWith(tag, 1)) return false;
		const next = start.charAt(1 + tag.length);
		return next === ">" || next === " " || next === "\t" || next === "\n" || next === "\r" || next === "\f";
	});
}

function isJson(text: string): boolean {
	try {
		JSON.parse(text);
		return true;
	} catch {
		return false;
	}
}

/** At least two lines, and the first few (up to five) all with the same number of commas, at least one. */
function looksLikeCsv(text: string): boolean {
	const lines = text
		.split(/\r?\n/)
		.slice(0, 6)
		.filter((l) => l !== "");
	// The last line of a cut head may be cut too.
	const whole = lines.length > 5 ? lines.slice(0, 5) : lines;
	if (whole.length < 2) return false;
	const commas = whole.map((l) => l.split(",").length - 1);
	return commas[0] !== undefined && commas[0] > 0 && commas.every((n) => n === commas[0]);
}
