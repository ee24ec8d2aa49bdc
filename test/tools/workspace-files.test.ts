import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/protocol/index.ts";
import { deleteFileTool } from "../../src/tools/delete-file.ts";
import { listFilesTool } from "../../src/tools/list-files.ts";
import { WORKSPACE_LIMITS } from "../../src/tools/paths.ts";
import { readFileTool } from "../../src/tools/read-file.ts";
import type { ToolContext } from "../../src/tools/types.ts";
import { copyIntoWorkspace } from "../../src/tools/workspace-files.ts";
import { writeFileTool } from "../../src/tools/write-file.ts";
import { dbUser } from "../support/db.ts";
import { toolContext } from "../support/tool-context.ts";
import { garbageOf, objectKeys, objectText, oldCode, pngBytes, storedRow, streamOf } from "../support/workspace.ts";

const MIB = 1024 * 1024;
const encode = (s: string) => new TextEncoder().encode(s);

/** A user, their tool context (settings overridable), and their workspace seeded. */
async function workspace(settings: Record<string, string> = {}) {
	const user = await dbUser();
	const ctx = toolContext(user.id, { env: { ...env, ...settings } as Env });
	await listFilesTool.execute({}, ctx);
	return { userId: user.id, ctx };
}

const copy = (ctx: ToolContext, path: string, bytes: Uint8Array, type: string) =>
	copyIntoWorkspace(ctx.env, ctx.userId, path, streamOf(bytes), bytes.length, type);

const listed = async (ctx: ToolContext) =>
	(await listFilesTool.execute({}, ctx)) as { files: { path: string; size: number; type: string }[] };

describe("workspace tools on R2: text", () => {
	it("writes text to R2 and lists it with its size and type", async () => {
		const { userId, ctx } = await workspace();
		expect(await writeFileTool.execute({ path: "notes/todo.md", content: "# Todo\n- milk €\n" }, ctx)).toEqual({
			path: "notes/todo.md",
			size: 18,
			type: "text/markdown",
			created: true,
		});
		const row = await storedRow(userId, "notes/todo.md");
		expect(await objectText(row?.object_key as string)).toBe("# Todo\n- milk €\n");
		expect((await listed(ctx)).files).toContainEqual(
			expect.objectContaining({ path: "notes/todo.md", size: 18, type: "text/markdown" }),
		);
		await writeFileTool.execute({ path: "data.json", content: '{"a": 1}' }, ctx);
		expect((await listed(ctx)).files).toContainEqual(
			expect.objectContaining({ path: "data.json", type: "application/json" }),
		);
	});

	it("reads a large text in windows: the first 50,000 characters by default, then from next_offset", async () => {
		const { ctx } = await workspace();
		// Multi-byte characters across chunk boundaries: a window counts characters, not bytes.
		const line = (n: number) => `${String(n).padStart(6, "0")} é€𝄞 some words\n`;
		const text = Array.from({ length: 6_000 }, (_, i) => line(i)).join("");
		await writeFileTool.execute({ path: "big.txt", content: text }, ctx);
		const first = (await readFileTool.execute({ path: "big.txt" }, ctx)) as Record<string, unknown>;
		expect(first).toMatchObject({ offset: 0, truncated: true, next_offset: WORKSPACE_LIMITS.readChars });
		expect(first.content).toBe(text.slice(0, WORKSPACE_LIMITS.readChars));
		const rest = await readFileTool.execute(
			{ path: "big.txt", offset: first.next_offset as number, length: 50_000 },
			ctx,
		);
		expect(rest).toMatchObject({ content: text.slice(50_000, 100_000), truncated: true });
		const tail = (await readFileTool.execute({ path: "big.txt", offset: text.length - 10 }, ctx)) as Record<
			string,
			unknown
		>;
		expect(tail).toMatchObject({ content: text.slice(-10), truncated: false });
		expect(tail.next_offset).toBeUndefined();
		expect(await readFileTool.execute({ path: "big.txt", offset: text.length + 5 }, ctx)).toMatchObject({
			content: "",
			truncated: false,
		});
	});

	it("appends to a file in R2 (streamed), and refuses to append to a file that isn't text", async () => {
		const { userId, ctx } = await workspace();
		await writeFileTool.execute({ path: "log.txt", content: "one\n" }, ctx);
		expect(await writeFileTool.execute({ path: "log.txt", content: "two\n", append: true }, ctx)).toMatchObject({
			size: 8,
			created: false,
		});
		expect(await readFileTool.execute({ path: "log.txt" }, ctx)).toMatchObject({ content: "one\ntwo\n" });
		await copy(ctx, "pic.png", pngBytes(4, 4), "image/png");
		expect(await writeFileTool.execute({ path: "pic.png", content: "x", append: true }, ctx)).toMatchObject({
			error: expect.stringContaining("image/png"),
		});
		// Replaced objects are deleted as the tool ends: one object per file is left.
		expect(await objectKeys(userId)).toHaveLength(3);
		expect(await garbageOf(userId)).toEqual([]);
	});
});

describe("workspace tools on R2: files that aren't text", () => {
	it("a copied image is listed with its type, and read_file says what it is instead of its bytes", async () => {
		const { userId, ctx } = await workspace();
		const png = pngBytes(640, 480, 5_000);
		expect(await copy(ctx, "./photos/cat.png", png, "image/png")).toMatchObject({
			path: "photos/cat.png",
			size: png.length,
			type: "image/png",
			created: true,
		});
		expect((await listed(ctx)).files).toContainEqual(
			expect.objectContaining({ path: "photos/cat.png", size: png.length, type: "image/png" }),
		);
		const read = (await readFileTool.execute({ path: "photos/cat.png" }, ctx)) as Record<string, unknown>;
		expect(read).toMatchObject({ type: "image/png", size: png.length, binary: true, width: 640, height: 480 });
		expect(read.description).toContain("640×480");
		expect(read.content).toBeUndefined();
		expect(JSON.stringify(read)).not.toContain("PNG\\r");
		expect(await objectKeys(userId)).toContainEqual(expect.stringMatching(new RegExp(`^workspace/${userId}/`)));
	});

	it("a PDF, and bytes with no known type, are described; so is binary stored as text", async () => {
		const { ctx } = await workspace();
		await copy(ctx, "doc.pdf", encode("%PDF-1.7\n%\xff\xfe binary stuff"), "application/pdf");
		expect(await readFileTool.execute({ path: "doc.pdf" }, ctx)).toMatchObject({
			type: "application/pdf",
			binary: true,
		});
		const blob = Uint8Array.from({ length: 3_000 }, (_, i) => (i * 31) % 256);
		await copy(ctx, "blob.dat", blob, "application/octet-stream");
		expect(await readFileTool.execute({ path: "blob.dat" }, ctx)).toMatchObject({
			type: "application/octet-stream",
			binary: true,
			size: 3_000,
		});
		// A type that says text over bytes that are not (a NUL, invalid UTF-8): described, never dumped.
		await copy(ctx, "liar.txt", Uint8Array.from([0x68, 0x69, 0x00, 0xff, 0xfe, 0x01]), "text/plain");
		const liar = (await readFileTool.execute({ path: "liar.txt" }, ctx)) as Record<string, unknown>;
		expect(liar).toMatchObject({ binary: true, type: "application/octet-stream" });
		expect(liar.content).toBeUndefined();
		await copy(ctx, "half.txt", Uint8Array.from([0x61, 0x62, 0xc3, 0x28]), "text/plain");
		expect(await readFileTool.execute({ path: "half.txt" }, ctx)).toMatchObject({ binary: true });
	});

	it("delete_file deletes the R2 object too", async () => {
		const { userId, ctx } = await workspace();
		await copy(ctx, "a.png", pngBytes(2, 2), "image/png");
		const key = (await storedRow(userId, "a.png"))?.object_key as string;
		expect(await objectText(key)).not.toBeNull();
		expect(await deleteFileTool.execute({ path: "a.png" }, ctx)).toEqual({ path: "a.png", deleted: true });
		expect(await objectText(key)).toBeNull();
		expect(await storedRow(userId, "a.png")).toBeNull();
		expect(await garbageOf(userId)).toEqual([]);
		expect(await deleteFileTool.execute({ path: "a.png" }, ctx)).toMatchObject({
			error: expect.stringContaining("no file"),
		});
	});
});

describe("workspace limits come from settings", () => {
	it("SPARKY_WORKSPACE_FILE_MB caps a file, in bytes (multi-byte characters count as bytes)", async () => {
		const { ctx } = await workspace({ SPARKY_WORKSPACE_FILE_MB: "1" });
		expect(await writeFileTool.execute({ path: "max.txt", content: "x".repeat(MIB) }, ctx)).toMatchObject({
			size: MIB,
		});
		expect(await writeFileTool.execute({ path: "over.txt", content: "x".repeat(MIB + 1) }, ctx)).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILE_MB"),
		});
		const euros = "€".repeat(Math.ceil(MIB / 3) + 1);
		expect(await writeFileTool.execute({ path: "euro.txt", content: euros }, ctx)).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILE_MB"),
		});
		expect(await writeFileTool.execute({ path: "max.txt", content: "y", append: true }, ctx)).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILE_MB"),
		});
		const big = new Uint8Array(MIB + 10);
		expect(await copy(ctx, "big.bin", big, "application/octet-stream")).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILE_MB"),
		});
	});

	it("SPARKY_WORKSPACE_FILES caps the count (the README counts); overwriting is always fine", async () => {
		const { ctx } = await workspace({ SPARKY_WORKSPACE_FILES: "3" });
		await writeFileTool.execute({ path: "a", content: "1" }, ctx);
		await writeFileTool.execute({ path: "b", content: "2" }, ctx);
		expect(await writeFileTool.execute({ path: "c", content: "3" }, ctx)).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILES"),
		});
		expect(await copy(ctx, "c.png", pngBytes(1, 1), "image/png")).toMatchObject({
			error: expect.stringContaining("SPARKY_WORKSPACE_FILES"),
		});
		expect(await writeFileTool.execute({ path: "a", content: "again" }, ctx)).toMatchObject({ created: false });
	});

	it("SPARKY_FILES_QUOTA_MB: uploads and the workspace share one quota", async () => {
		const { userId, ctx } = await workspace({ SPARKY_FILES_QUOTA_MB: "1" });
		await env.DB.prepare(
			"INSERT INTO files (id, user_id, name, type, size, status, created_at) VALUES (?, ?, 'u.bin', 'application/octet-stream', ?, 'ready', 1)",
		)
			.bind(newId("file"), userId, 900 * 1024)
			.run();
		expect(await writeFileTool.execute({ path: "fits.txt", content: "x".repeat(50 * 1024) }, ctx)).toMatchObject({
			created: true,
		});
		expect(await writeFileTool.execute({ path: "over.txt", content: "x".repeat(100 * 1024) }, ctx)).toMatchObject({
			error: expect.stringContaining("SPARKY_FILES_QUOTA_MB"),
		});
		expect(await copy(ctx, "over.bin", new Uint8Array(100 * 1024), "application/octet-stream")).toMatchObject({
			error: expect.stringContaining("SPARKY_FILES_QUOTA_MB"),
		});
		expect((await listed(ctx)).files.map((f) => f.path).sort()).toEqual(["README.md", "fits.txt"]);
	});
});

describe("workspace files written before #25 (content in D1)", () => {
	it("an old row is listed, read, and moved to R2 on that first touch", async () => {
		const { userId, ctx } = await workspace();
		await oldCode.write(userId, "old/notes.md", "# Notes\nkept in D1\n", 1_000);
		expect((await listed(ctx)).files).toContainEqual(
			expect.objectContaining({ path: "old/notes.md", size: 19, type: "text/markdown" }),
		);
		expect(await readFileTool.execute({ path: "old/notes.md" }, ctx)).toMatchObject({
			content: "# Notes\nkept in D1\n",
			type: "text/markdown",
			size: 19,
			truncated: false,
		});
		const moved = await storedRow(userId, "old/notes.md");
		expect(moved).toMatchObject({ type: "text/markdown", size: 19, updated_at: 1_000 });
		expect(await objectText(moved?.object_key as string)).toBe("# Notes\nkept in D1\n");
		// Read again, now from R2: the same answer.
		expect(await readFileTool.execute({ path: "old/notes.md", offset: 8 }, ctx)).toMatchObject({
			content: "kept in D1\n",
		});
	});

	it("an old row overwritten ends up in R2, with nothing left over", async () => {
		const { userId, ctx } = await workspace();
		await oldCode.write(userId, "todo.txt", "old text", 1_000);
		expect(await writeFileTool.execute({ path: "todo.txt", content: "new text" }, ctx)).toMatchObject({
			created: false,
			size: 8,
		});
		const row = await storedRow(userId, "todo.txt");
		expect(await objectText(row?.object_key as string)).toBe("new text");
		expect(await readFileTool.execute({ path: "todo.txt" }, ctx)).toMatchObject({ content: "new text" });
		expect(await objectKeys(userId)).toHaveLength(2); // README.md and todo.txt
		expect(await garbageOf(userId)).toEqual([]);
	});

	it("an old row appended to keeps its text, and ends up in R2", async () => {
		const { userId, ctx } = await workspace();
		await oldCode.write(userId, "journal.md", "day 1\n", 1_000);
		expect(await writeFileTool.execute({ path: "journal.md", content: "day 2\n", append: true }, ctx)).toMatchObject({
			size: 12,
			created: false,
		});
		const row = await storedRow(userId, "journal.md");
		expect(await objectText(row?.object_key as string)).toBe("day 1\nday 2\n");
		expect(await garbageOf(userId)).toEqual([]);
	});

	it("an old row is deleted like any other", async () => {
		const { userId, ctx } = await workspace();
		await oldCode.write(userId, "gone.txt", "bye", 1_000);
		expect(await deleteFileTool.execute({ path: "gone.txt" }, ctx)).toEqual({ path: "gone.txt", deleted: true });
		expect(await storedRow(userId, "gone.txt")).toBeNull();
	});
});

describe("workspace: users and failures", () => {
	it("keeps each user's files to themselves, in R2 as in D1", async () => {
		const a = await workspace();
		const b = await workspace();
		await writeFileTool.execute({ path: "same.txt", content: "a's" }, a.ctx);
		await writeFileTool.execute({ path: "same.txt", content: "b's" }, b.ctx);
		expect(await readFileTool.execute({ path: "same.txt" }, a.ctx)).toMatchObject({ content: "a's" });
		expect(await readFileTool.execute({ path: "same.txt" }, b.ctx)).toMatchObject({ content: "b's" });
		await copy(a.ctx, "only-a.png", pngBytes(3, 3), "image/png");
		expect(await readFileTool.execute({ path: "only-a.png" }, b.ctx)).toMatchObject({
			error: expect.stringContaining("no file"),
		});
		expect(await deleteFileTool.execute({ path: "only-a.png" }, b.ctx)).toMatchObject({ error: expect.any(String) });
		await deleteFileTool.execute({ path: "same.txt" }, b.ctx);
		expect(await readFileTool.execute({ path: "same.txt" }, a.ctx)).toMatchObject({ content: "a's" });
		for (const key of await objectKeys(a.userId)) expect(key.startsWith(`workspace/${a.userId}/`)).toBe(true);
		expect(await objectKeys(a.userId)).toHaveLength(3);
		expect(await objectKeys(b.userId)).toHaveLength(1);
	});

	it("a failed R2 write changes nothing: the file keeps its bytes, and nothing is left behind", async () => {
		const { userId, ctx } = await workspace();
		await writeFileTool.execute({ path: "keep.txt", content: "safe" }, ctx);
		const failing = {
			...env,
			FILES: {
				put: () => Promise.reject(new Error("R2 is down")),
				get: env.FILES.get.bind(env.FILES),
				delete: env.FILES.delete.bind(env.FILES),
			},
		} as unknown as Env;
		await expect(
			writeFileTool.execute({ path: "keep.txt", content: "lost" }, { ...ctx, env: failing }),
		).rejects.toThrow("R2 is down");
		expect(await readFileTool.execute({ path: "keep.txt" }, ctx)).toMatchObject({ content: "safe" });
		expect(await garbageOf(userId)).toEqual([]);
	});

	it("a row whose object went missing is reported, and the next write sets it right", async () => {
		const { userId, ctx } = await workspace();
		await writeFileTool.execute({ path: "x.txt", content: "hello" }, ctx);
		await env.FILES.delete((await storedRow(userId, "x.txt"))?.object_key as string);
		expect(await readFileTool.execute({ path: "x.txt" }, ctx)).toMatchObject({
			error: expect.stringContaining("missing from storage"),
		});
		expect(await writeFileTool.execute({ path: "x.txt", content: "again" }, ctx)).toMatchObject({ created: false });
		expect(await readFileTool.execute({ path: "x.txt" }, ctx)).toMatchObject({ content: "again" });
	});

	it("copyIntoWorkspace refuses a path that leaves the workspace, and reads none of the stream", async () => {
		const { ctx } = await workspace();
		let pulled = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled++;
				controller.enqueue(new Uint8Array(10));
			},
		});
		expect(await copyIntoWorkspace(ctx.env, ctx.userId, "../../etc/x", body, 10, "text/plain")).toMatchObject({
			error: expect.stringContaining("escapes"),
		});
		expect(pulled).toBeLessThanOrEqual(1);
	});
});
