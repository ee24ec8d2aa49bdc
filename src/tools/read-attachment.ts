import { z } from "zod";
import { ensureExtracted, fileKind, readPages, readTextRange } from "../files/extract.ts";
import { FileIdSchema } from "../protocol/index.ts";
import { getFileRow } from "../storage/files.ts";
import { defineTool, fail } from "./types.ts";

/** Characters one call returns at most (as read_file). */
const READ_CHARS = 50_000;

export const readAttachmentTool = defineTool({
	name: "read_attachment",
	idempotent: true,
	description: `Read the text of a file attached to a message or task (its <attachment> tag gives the id): a page of a PDF, or a range of characters of a text file or of a PDF's whole text (its pages apart by form feeds). Returns at most ${READ_CHARS} characters; next_offset continues.`,
	input: z.strictObject({
		file_id: FileIdSchema.describe("The attachment's id (file_…)"),
		page: z.number().int().min(1).optional().describe("A PDF's page, from 1"),
		offset: z.number().int().min(0).optional().describe("The first character to read (default 0)"),
		length: z
			.number()
			.int()
			.min(1)
			.max(READ_CHARS)
			.optional()
			.describe(`How many characters (default and at most ${READ_CHARS})`),
	}),
	async execute({ file_id, page, offset = 0, length = READ_CHARS }, ctx) {
		const file = await getFileRow(ctx.env.DB, ctx.userId, file_id);
		if (!file) return fail(`no file ${file_id} (only the user's own uploads can be read)`);
		const facts = await ensureExtracted(ctx.env, file, ctx.now());
		const about = { file_id, name: file.name, type: file.type };
		if (facts.error) return fail(`${file.name}: nothing could be read: ${facts.error}`, about);
		const kind = fileKind(file.type);
		if (kind === "image")
			return fail(
				`${file.name} is an image (${facts.width}×${facts.height}): it has no text; the message shows it`,
				about,
			);
		if (kind === "other") return fail(`${file.name} is ${file.type}: it has no text to read`, about);
		if (page !== undefined) {
			if (kind !== "pdf") return fail(`${file.name} is not a PDF: read it by offset instead of page`, about);
			const pages = (await readPages(ctx.env, file)) ?? [];
			const text = pages[page - 1];
			if (text === undefined) return fail(`${file.name} has ${pages.length} pages; there is no page ${page}`, about);
			const slice = text.slice(offset, offset + length);
			const more = offset + length < text.length;
			return {
				...about,
				page,
				pages: pages.length,
				offset,
				text: slice,
				...(more ? { next_offset: offset + length } : {}),
			};
		}
		const slice = await readTextRange(ctx.env, file, offset, length);
		if (!slice) return fail(`the text of ${file.name} is missing from storage`, about);
		return {
			...about,
			...(facts.pages !== undefined ? { pages: facts.pages } : {}),
			chars: facts.chars,
			offset,
			text: slice.text,
			...(slice.more ? { next_offset: offset + slice.text.length } : {}),
		};
	},
});
