import { z } from "zod";
import { type Expected, ensureWorkspace, openObject, type Source, saveFile, statFile } from "../storage/workspace.ts";
import { normalizePath } from "./paths.ts";
import { defineTool, fail, type ToolFailure } from "./types.ts";
import { isTextType, refusal, tidy, touchInline, typeOfText, workspaceLimits } from "./workspace-files.ts";

const encoder = new TextEncoder();

export const writeFileTool = defineTool({
	name: "write_file",
	// the same content written twice is the same file
	idempotent: true,
	description:
		"Create or overwrite a text file in the user's workspace, or append text to one. Limits are settings (by default 25 MiB a file, 1,000 files, and the user's files together within their quota).",
	input: z.strictObject({
		path: z.string().min(1).max(1024).describe("File path, e.g. notes/todo.md"),
		content: z.string().describe("The whole new content of the file"),
		append: z.boolean().optional().describe("Add to the end of the file instead of replacing it"),
	}),
	async execute({ path, content, append }, ctx) {
		const checked = normalizePath(path);
		if (!checked.ok) return fail(checked.reason);
		const { env, userId } = ctx;
		await ensureWorkspace(env, userId, ctx.now());
		const bytes = encoder.encode(content);
		const write = append
			? await appending(env, userId, checked.path, content, ctx.now())
			: { source: { bytes }, type: typeOfText(checked.path, bytes) };
		if ("error" in write) return write;
		const limits = workspaceLimits(env);
		const saved = await saveFile(
			env,
			userId,
			checked.path,
			write.source,
			write.type,
			limits,
			ctx.now(),
			write.expected,
		);
		if (!saved.ok) return refusal(saved, checked.path, limits);
		await tidy(env, userId, ctx.now());
		return { path: checked.path, size: saved.size, type: saved.type, created: saved.created };
	},
});

interface Write {
	source: Source;
	type: string;
	/** The version appended to: the write fails if the file is another by then. */
	expected?: Expected;
}

/** What appending `content` to a file writes: its bytes (streamed, never held whole), then the new ones. */
async function appending(
	env: Env,
	userId: string,
	path: string,
	content: string,
	now: number,
): Promise<Write | ToolFailure> {
	const added = encoder.encode(content);
	let row = await statFile(env.DB, userId, path);
	if (row?.object_key === null) {
		// Written before #25: its text is inline, and moves to R2 on this first touch.
		const inline = await touchInline(env, userId, path, now);
		row = await statFile(env.DB, userId, path);
		if (inline && row?.object_key === null) {
			const bytes = encoder.encode(inline.content + content);
			return {
				source: { bytes },
				type: typeOfText(path, bytes),
				expected: { object_key: null, updated_at: inline.updated_at },
			};
		}
	}
	if (!row?.object_key) return { source: { bytes: added }, type: typeOfText(path, added) };
	if (!isTextType(row.type ?? ""))
		return fail(`"${path}" is a ${row.type} file; write_file appends only to text files`);
	const body = await openObject(env.FILES, row.object_key);
	if (!body) return fail(`the bytes of "${path}" are missing from storage; write the whole file again`);
	return {
		source: { stream: followedBy(body, added), size: row.size + added.byteLength },
		type: row.type ?? typeOfText(path),
		expected: { object_key: row.object_key, updated_at: row.updated_at },
	};
}

/** The bytes of `head`, then `tail`. */
function followedBy(head: ReadableStream<Uint8Array>, tail: Uint8Array): ReadableStream<Uint8Array> {
	const reader = head.getReader();
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			const { done, value } = await reader.read();
			if (!done) return controller.enqueue(value);
			if (tail.byteLength > 0) controller.enqueue(tail);
			controller.close();
		},
		cancel: (reason) => reader.cancel(reason),
	});
}
