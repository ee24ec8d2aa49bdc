import type { FileRow } from "../storage/files.ts";
import type { FileFacts } from "./extract.ts";

/**
 * How an attachment is named to the model: an `<attachment …>` tag with what is known of the
 * file (id, name, type, size, pages, image size, characters), and, for text, its content inside
 * the tag. The tag fences the file's words off as data, the way recalled memories are fenced:
 * a file that says "ignore your instructions" is a file saying so. The demo model reads the
 * same tag (agent/demo-attachments.ts).
 */

export interface AttachmentTag {
	file: FileRow;
	facts: FileFacts;
	/** Characters of its text given below the tag (the rest: read_attachment). */
	shown?: number;
	/** Why its content is not given (too big for the model, a type it can't take…). */
	note?: string;
}

/** `<attachment id="…" name="…" …>`, or `<attachment … />` when nothing follows inside it. */
export function attachmentOpening({ file, facts, shown, note }: AttachmentTag, closed: boolean): string {
	const attributes: [string, string | number | undefined][] = [
		["id", file.id],
		["name", file.name],
		["type", file.type],
		["size", file.size],
		["pages", facts.pages],
		["width", facts.width],
		["height", facts.height],
		["chars", facts.chars],
		["shown", shown],
		["note", note ?? (facts.error ? `nothing could be read: ${facts.error}` : undefined)],
	];
	const text = attributes
		.filter(([, value]) => value !== undefined)
		.map(([key, value]) => `${key}="${escapeAttribute(String(value))}"`)
		.join(" ");
	return `<attachment ${text}${closed ? " />" : ">"}`;
}

/** A text attachment: the tag, the text, the closing tag (a closing tag inside the text can't end it early). */
export function fencedText(tag: AttachmentTag, text: string): string {
	return `${attachmentOpening(tag, false)}\n${text.replaceAll("</attachment", "<\\/attachment")}\n</attachment>`;
}

/** Text the model reads past the cut: the marker every cut attachment ends with. */
export function cutMarker(leftChars: number): string {
	return `… [cut: ${leftChars.toLocaleString("en-US")} characters; read_attachment reads the rest]`;
}

function escapeAttribute(value: string): string {
	return value
		.replaceAll("&", "&amp;")
		.replaceAll('"', "&quot;")
		.replaceAll("<", "&lt;")
		.replaceAll(">", "&gt;")
		.replace(/[\r\n\t]/g, " ");
}
