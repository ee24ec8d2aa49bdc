/**
 * The demo model's reading of attachments: the `<attachment …>` tags the runner puts in the
 * user message (files/describe.ts writes them; a real model reads the same text), parsed back
 * into what the demo says about each file. Pure, like the rest of the demo's mind.
 */

export interface DemoAttachment {
	id: string;
	name: string;
	type: string;
	size: number;
	pages?: number;
	width?: number;
	height?: number;
	/** Characters of its text, and how many of them the message carries (when cut). */
	chars?: number;
	shown?: number;
	note?: string;
	/** The text inside the tag (a text file's, a PDF's extracted), when there is any. */
	text?: string;
}

const OPENING = /^<attachment((?:\s+[a-z]+="[^"]*")*)\s*(\/?)>/;

/**
 * The user message's own words and its attachments, from its text parts in order: a part that
 * opens with an `<attachment` tag is a file, every other part is what the person wrote.
 */
export function splitAttachments(texts: readonly string[]): { instruction: string; attachments: DemoAttachment[] } {
	const words: string[] = [];
	const attachments: DemoAttachment[] = [];
	for (const part of texts) {
		const opening = OPENING.exec(part);
		const attributes = opening ? parseAttributes(opening[1] ?? "") : undefined;
		if (!opening || !attributes?.id) {
			words.push(part);
			continue;
		}
		const number = (key: string) => (attributes[key] === undefined ? undefined : Number(attributes[key]));
		const attachment: DemoAttachment = {
			id: attributes.id,
			name: attributes.name ?? attributes.id,
			type: attributes.type ?? "application/octet-stream",
			size: number("size") ?? 0,
			pages: number("pages"),
			width: number("width"),
			height: number("height"),
			chars: number("chars"),
			shown: number("shown"),
			note: attributes.note,
		};
		if (opening[2] !== "/") {
			const inner = part
				.slice(opening[0].length)
				.replace(/^\n/, "")
				.replace(/\n?<\/attachment>\s*$/, "");
			attachment.text = inner.replaceAll("<\\/attachment", "</attachment");
		}
		attachments.push(attachment);
	}
	return { instruction: words.join(" ").trim(), attachments };
}

function parseAttributes(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [, key, value] of text.matchAll(/([a-z]+)="([^"]*)"/g))
		out[key as string] = unescapeAttribute(value as string);
	return out;
}

function unescapeAttribute(value: string): string {
	return value.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The text as the file has it, without the cut marker the runner added. */
export function ownText(attachment: DemoAttachment): string {
	return (attachment.text ?? "").replace(/… \[cut: [\d,]+ characters; read_attachment reads the rest\]$/, "");
}

/** Whether the person asked for a summary ("summarise the attached file", "what's in it?", "tl;dr"). */
export function asksForSummary(instruction: string): boolean {
	return /\bsummar(?:i[sz]e|y)\b|\btl;?dr\b|\bwhat(?:'s| is) in (?:it|this|the)\b/i.test(instruction);
}

/** The tool calls a message asks for about its attachments: a page, the rest, a copy into the workspace. */
export function attachmentCalls(
	instruction: string,
	attachments: readonly DemoAttachment[],
): { toolName: string; input: Record<string, unknown> }[] {
	const first = attachments[0];
	if (!first) return [];
	const calls: { toolName: string; input: Record<string, unknown> }[] = [];
	const page = /\bread\s+page\s+(\d{1,5})\b/i.exec(instruction);
	if (page) calls.push({ toolName: "read_attachment", input: { file_id: first.id, page: Number(page[1]) } });
	else if (/\bread\s+the\s+rest\b/i.test(instruction))
		calls.push({ toolName: "read_attachment", input: { file_id: first.id, offset: first.shown ?? 0 } });
	const save = /\bsave\s+(?:the\s+|this\s+|it\b)?(?:attach\w*|file)?\s*(?:to|as|into)\s+["“]?([\w./-]+)["”]?/i.exec(
		instruction,
	);
	if (save) calls.push({ toolName: "save_to_workspace", input: { file_id: first.id, path: save[1] } });
	return calls;
}

/** One line per file: name, type, size, pages, image size, characters, and its first lines of text. */
export function describeAttachments(attachments: readonly DemoAttachment[]): string {
	const lines = attachments.map((a) => {
		const facts = [a.type, humanSize(a.size)];
		if (a.pages !== undefined) facts.push(`${a.pages} page${a.pages === 1 ? "" : "s"}`);
		if (a.width && a.height) facts.push(`${a.width}×${a.height} pixels`);
		if (a.chars !== undefined && a.type !== "application/pdf")
			facts.push(`${a.chars.toLocaleString("en-US")} characters`);
		let line = `- **${a.name}** (${facts.join(", ")})`;
		const start = firstLines(ownText(a));
		if (start) line += `. It begins: “${start}”`;
		else if (a.note) line += `. ${a.note.charAt(0).toUpperCase()}${a.note.slice(1)}.`;
		return line;
	});
	const count = attachments.length;
	return `You attached ${count === 1 ? "one file" : `${count} files`}:\n${lines.join("\n")}`;
}

/** The first few non-empty lines, at most 200 characters. */
export function firstLines(text: string, count = 3): string {
	const lines = text
		.split("\n")
		.map((l) => l.trim())
		.filter(Boolean)
		.slice(0, count)
		.join(" / ");
	return lines.length > 200 ? `${lines.slice(0, 200)}…` : lines;
}

/** "12.3 KB": a size as people read it. */
export function humanSize(bytes: number): string {
	if (bytes < 1024) return `${bytes} bytes`;
	const units = ["KB", "MB", "GB"];
	let value = bytes / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
