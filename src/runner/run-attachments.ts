import type { FilePart, ImagePart, TextPart } from "ai";
import { cutText, estimateTokens } from "../agent/tokens.ts";
import { attachmentOpening, cutMarker, fencedText } from "../files/describe.ts";
import { ensureExtracted, type FileFacts, fileKind, readBytes, readTextRange } from "../files/extract.ts";
import { filesOfTasks, taskFiles } from "../storage/attachments.ts";
import type { FileRow } from "../storage/files.ts";
import type { TaskRow } from "../storage/tasks.ts";

/**
 * A task's attachments as the model sees them, in the user message beside the instruction:
 * images as image parts, PDFs as file parts where the provider reads them (else their text),
 * text as text within a budget (cut visibly; read_attachment reads the rest), anything else
 * named and described. Each is preceded by its `<attachment>` tag (files/describe.ts).
 */

export type AttachmentPart = TextPart | ImagePart | FilePart;

export interface AttachmentContent {
	parts: AttachmentPart[];
	/** Their estimated size (prompt-size.ts measures the same). */
	tokens: number;
}

/** What an image costs a provider at most (Anthropic: width × height / 750, scaled to about 1.15 megapixels). */
export const IMAGE_TOKENS = 1_600;
/** What a PDF page costs a provider that reads PDFs itself (its text and an image of it: 1,500-3,000). */
export const PDF_PAGE_TOKENS = 3_000;
/** Providers take images up to about this size (Anthropic's 5 MB); a bigger one is described. */
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** PDFs a provider reads itself: within its limits (Anthropic: 100 pages, 32 MB a request). */
const PDF_MAX_PAGES = 100;
const PDF_MAX_BYTES = 20 * 1024 * 1024;
/**
 * Bytes of images and PDFs one message carries whole, together: the request to the provider
 * holds them base64-encoded, and the Worker has 128 MB. Past it a PDF is given as text, an
 * image named.
 */
export const MEDIA_MAX_BYTES = 20 * 1024 * 1024;

/** Providers whose models read a PDF given as a file part (the AI SDK's Anthropic and OpenAI providers). */
export function readsPdf(modelLabel: string): boolean {
	return /^(anthropic|openai):/.test(modelLabel);
}

/** The estimate prompt-size.ts reads from a media part (its bytes say nothing of its tokens). */
const sized = (tokens: number) => ({ sparky: { tokens } });

const text = (value: string): TextPart => ({ type: "text", text: value });

/** The task's attachments within `budgetTokens` (all of them named, even when there is no room for their content). */
export async function attachmentContent(
	env: Env,
	task: TaskRow,
	modelLabel: string,
	budgetTokens: number,
): Promise<AttachmentContent> {
	const files = await taskFiles(env.DB, task.id);
	if (files.length === 0) return { parts: [], tokens: 0 };
	// One at a time: a PDF being extracted is held whole in memory.
	const facts: FileFacts[] = [];
	for (const file of files) facts.push(await ensureExtracted(env, file));
	// What is given whole (tags, images, PDFs) first; text shares what is left, evenly. A PDF
	// that doesn't fit whole is given as its text; an image that doesn't, named only.
	let left = budgetTokens;
	let bytes = MEDIA_MAX_BYTES;
	const plans = files.map((file, i): Plan => {
		const p = plan(file, facts[i] as FileFacts, modelLabel);
		const fits = p.tokens <= left && (p.media === undefined || file.size <= bytes);
		if (p.kind === "pdf" && !fits) return { kind: "text", file, facts: p.facts, tokens: 0 };
		if (p.kind === "image" && !fits) {
			const note = "not shown: no room left in the message";
			return { kind: "named", file, facts: p.facts, note, tokens: tagTokens(file, p.facts, note) };
		}
		left -= p.tokens;
		if (p.media !== undefined) bytes -= file.size;
		return p;
	});
	const texts = plans.filter((p) => p.kind === "text");
	const share = texts.length ? Math.max(0, Math.floor(left / texts.length)) : 0;
	const parts: AttachmentPart[] = [];
	let tokens = 0;
	for (const p of plans) {
		const made = await partsOf(env, p, share);
		parts.push(...made.parts);
		tokens += made.tokens;
	}
	return { parts, tokens };
}

type Plan =
	/** `media`: what the image or PDF itself costs (its tag aside); `tokens`: with its tag. */
	| { kind: "image" | "pdf"; file: FileRow; facts: FileFacts; tokens: number; media: number }
	| { kind: "text" | "named"; file: FileRow; facts: FileFacts; tokens: number; note?: string; media?: undefined };

const tagTokens = (file: FileRow, facts: FileFacts, note?: string) =>
	estimateTokens(attachmentOpening({ file, facts, note }, true)) + 4;

function plan(file: FileRow, facts: FileFacts, modelLabel: string): Plan {
	const tag = (note?: string) => tagTokens(file, facts, note);
	if (facts.error) return { kind: "named", file, facts, tokens: tag() };
	switch (fileKind(file.type)) {
		case "image": {
			if (file.size > IMAGE_MAX_BYTES) {
				const note = "too big to show the model (over 5 MB)";
				return { kind: "named", file, facts, tokens: tag(note), note };
			}
			const media = imageTokens(facts);
			return { kind: "image", file, facts, tokens: tag() + media, media };
		}
		case "pdf": {
			const pages = facts.pages ?? 0;
			const whole = readsPdf(modelLabel) && pages <= PDF_MAX_PAGES && file.size <= PDF_MAX_BYTES;
			const media = Math.max(1, pages) * PDF_PAGE_TOKENS;
			return whole
				? { kind: "pdf", file, facts, tokens: tag() + media, media }
				: { kind: "text", file, facts, tokens: 0 };
		}
		case "text":
			return { kind: "text", file, facts, tokens: 0 };
		default: {
			const note = "the model can't be shown this type; save_to_workspace copies it into the workspace";
			return { kind: "named", file, facts, tokens: tag(note), note };
		}
	}
}

function imageTokens(facts: FileFacts): number {
	if (!facts.width || !facts.height) return IMAGE_TOKENS;
	return Math.min(IMAGE_TOKENS, Math.ceil((facts.width * facts.height) / 750));
}

async function partsOf(env: Env, p: Plan, textShare: number): Promise<AttachmentContent> {
	const { file, facts } = p;
	switch (p.kind) {
		case "named":
			return { parts: [text(attachmentOpening({ file, facts, note: p.note }, true))], tokens: p.tokens };
		case "image": {
			const bytes = await readBytes(env, file);
			if (!bytes) return missing(file, facts);
			const image: ImagePart = { type: "image", image: bytes, mediaType: file.type, providerOptions: sized(p.media) };
			return { parts: [text(attachmentOpening({ file, facts }, true)), image], tokens: p.tokens };
		}
		case "pdf": {
			const bytes = await readBytes(env, file);
			if (!bytes) return missing(file, facts);
			const pdf: FilePart = {
				type: "file",
				data: bytes,
				mediaType: "application/pdf",
				filename: file.name,
				providerOptions: sized(p.media),
			};
			return { parts: [text(attachmentOpening({ file, facts }, true)), pdf], tokens: p.tokens };
		}
		case "text":
			return textParts(env, file, facts, textShare);
	}
}

/** The file's text from its start, as much as `share` tokens hold with its tag and the cut marker. */
async function textParts(env: Env, file: FileRow, facts: FileFacts, share: number): Promise<AttachmentContent> {
	const total = facts.chars ?? 0;
	const overhead = estimateTokens(attachmentOpening({ file, facts, shown: total }, false)) + 40;
	const room = Math.max(0, share - overhead);
	// At most four characters a token: more can't fit.
	const slice = room > 0 ? await readTextRange(env, file, 0, room * 4) : { text: "", offset: 0, more: total > 0 };
	if (!slice) return missing(file, facts);
	const kept = within(slice.text, room);
	const cut = slice.more || kept.length < slice.text.length;
	const body = cut ? `${kept}${cutMarker(Math.max(0, total - kept.length))}` : kept;
	const fenced = fencedText({ file, facts, shown: cut ? kept.length : undefined }, body);
	return { parts: [text(fenced)], tokens: estimateTokens(JSON.stringify(fenced)) + 2 };
}

/** The longest start of `value` within `maxTokens` (cutText's cut, without its marker). */
function within(value: string, maxTokens: number): string {
	const cut = cutText(value, maxTokens);
	if (cut === value) return value;
	const marker = cut.lastIndexOf("… [cut: ");
	return marker >= 0 ? cut.slice(0, marker) : "";
}

function missing(file: FileRow, facts: FileFacts): AttachmentContent {
	const tag = attachmentOpening({ file, facts, note: "its bytes are missing from storage" }, true);
	return { parts: [text(tag)], tokens: estimateTokens(tag) + 4 };
}

/**
 * Earlier turns of a chat, each user message naming the files it carried (their tags, no
 * content): a later turn can still read them with read_attachment or save them.
 */
export async function withEarlierAttachments<T extends { role: string; turn_id: string | null; content: string }>(
	db: D1Database,
	rows: T[],
): Promise<T[]> {
	const lastUserRow = new Map<string, T>();
	for (const row of rows) if (row.role === "user" && row.turn_id) lastUserRow.set(row.turn_id, row);
	const files = await filesOfTasks(db, [...lastUserRow.keys()]);
	if (files.size === 0) return rows;
	return rows.map((row) => {
		const attached = row.turn_id && lastUserRow.get(row.turn_id) === row ? files.get(row.turn_id) : undefined;
		if (!attached) return row;
		const tags = attached.map((file) => attachmentOpening({ file, facts: {} }, true));
		return { ...row, content: [row.content, ...tags].filter(Boolean).join("\n") };
	});
}
