import { FileLimits, withoutTrailing } from "../protocol/index.ts";

/**
 * Characters a file name never keeps: C0 and C1 controls (NUL included), DEL, and the marks
 * that reorder or hide text (bidi embeddings, overrides and isolates, LRM/RLM/ALM), which can
 * make `evil‮gnp.exe` read as `evilexe.png`. Zero-width and BOM go too: invisible in a name.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what goes.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** Path separators, and what Windows refuses in a name: each becomes `_`. */
const SEPARATORS = /[/\\:*?"<>|]+/;

/**
 * A name safe to store, show and offer as a download: never refused, cleaned. Path segments
 * collapse into one name (`../../etc/passwd` → `etc_passwd`); invisible and control
 * characters go; no leading dots (no hidden files, no `..`); trailing dots and spaces go;
 * at most 255 UTF-8 bytes, cut in the stem so the extension stays. Empty when nothing is left
 * (the caller names it by its type: `defaultName`).
 */
export function cleanName(raw: string | undefined): string {
	if (!raw) return "";
	const segments = raw
		.normalize("NFC")
		.replace(INVISIBLE, "")
		.split(SEPARATORS)
		.map((s) => s.trim())
		.filter((s) => s !== "" && !/^\.+$/.test(s));
	const joined = withoutTrailing(
		segments
			.join("_")
			.replace(/\s+/g, " ")
			.replace(/^[.\s]+/, ""),
		". ",
	);
	return fitBytes(joined, FileLimits.nameBytes);
}

/** Cuts `name` to `max` UTF-8 bytes, keeping a short extension and whole characters. */
function fitBytes(name: string, max: number): string {
	const encoder = new TextEncoder();
	if (encoder.encode(name).length <= max) return name;
	const dot = name.lastIndexOf(".");
	const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
	const budget = max - encoder.encode(ext).length;
	let stem = "";
	let used = 0;
	// By code point, so a surrogate pair is never split.
	for (const ch of name.slice(0, name.length - ext.length)) {
		const size = encoder.encode(ch).length;
		if (used + size > budget) break;
		stem += ch;
		used += size;
	}
	return stem.replace(/[.\s]+$/, "") + ext;
}

const EXTENSIONS: Record<string, string> = {
	"image/png": "png",
	"image/jpeg": "jpg",
	"image/gif": "gif",
	"image/webp": "webp",
	"image/svg+xml": "svg",
	"application/pdf": "pdf",
	"application/zip": "zip",
	"application/gzip": "gz",
	"application/json": "json",
	"application/xml": "xml",
	"text/csv": "csv",
	"text/markdown": "md",
	"text/html": "html",
	"text/plain": "txt",
};

/** The name of a file that came without one (or whose name cleaned away to nothing). */
export function defaultName(type: string): string {
	return `file.${EXTENSIONS[type] ?? "bin"}`;
}

/** The lower-case extension of a name, without its dot (`""` when none). */
export function extensionOf(name: string): string {
	const dot = name.lastIndexOf(".");
	return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}
