import { z } from "zod";

/** Sizes of files and attachments shared by the Worker, the CLI and the page. */
export const FileLimits = {
	/** Files one message or task may carry. */
	attachmentsPerMessage: 10,
	/** A file's name, in UTF-8 bytes, after cleaning. */
	nameBytes: 255,
	pageDefault: 50,
	pageMax: 200,
} as const;

export const FileIdSchema = z.string().regex(/^file_[A-Za-z0-9_-]{1,64}$/, "a file id: file_…");

/** A file as the API shows it. */
export const FileSchema = z.object({
	id: z.string(),
	/** Cleaned of path separators, control and bidi characters. */
	name: z.string(),
	/** Sniffed from the bytes (the client's Content-Type is only a hint). */
	type: z.string(),
	size: z.number().int().nonnegative(),
	/** Hex SHA-256 of the bytes. */
	sha256: z.string(),
	created_at: z.number().int(),
	/** Whether a message or task carries it (an unattached upload expires). */
	attached: z.boolean(),
});
export type SparkyFile = z.infer<typeof FileSchema>;

/** `attachments` of a task, a chat message or a `chat.send` frame: up to 10 uploaded files, no repeats. */
export const AttachmentIdsSchema = z
	.array(FileIdSchema)
	.max(FileLimits.attachmentsPerMessage, `at most ${FileLimits.attachmentsPerMessage} attachments`)
	.refine((ids) => new Set(ids).size === ids.length, "an attachment is listed twice");

/** `GET /api/files` query: newest first; `cursor` (a `next_cursor`) continues. */
export const ListFilesQuerySchema = z.object({
	limit: z.coerce.number().int().min(1).max(FileLimits.pageMax).default(FileLimits.pageDefault),
	cursor: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,400}$/)
		.optional(),
});

/** `POST /api/files` query: the file's name for a raw body (cleaned, never refused; a form's file name otherwise). */
export const UploadFileQuerySchema = z.object({
	name: z.string().max(1024).optional(),
});
