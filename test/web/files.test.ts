import { describe, expect, it } from "vitest";
import type { SparkyFile } from "../../src/protocol/index.ts";
import { Api, ApiError } from "../../web/src/lib/api.ts";
import { FileApi, formatBytes, isImage, typeLabel, uploadErrorText } from "../../web/src/lib/files.ts";
import { parseRoute, routePath } from "../../web/src/lib/route.ts";
import type { UploadOptions } from "../../web/src/lib/upload.ts";
import { AttachmentTray } from "../../web/src/state/attachments.ts";
import { FileList } from "../../web/src/state/file-list.ts";
import { SessionFiles } from "../../web/src/state/files.ts";

const sparkyFile = (id: string, name: string, extra: Partial<SparkyFile> = {}): SparkyFile => ({
	id,
	name,
	type: "text/plain",
	size: 5,
	sha256: "0".repeat(64),
	created_at: 1,
	attached: false,
	...extra,
});

/** Uploads that wait for the test: each call is kept with its options, to progress, finish or fail. */
function fakeUploads() {
	const calls: {
		file: File;
		options: UploadOptions;
		resolve: (file: SparkyFile) => void;
		reject: (error: unknown) => void;
	}[] = [];
	const upload = (file: File, options: UploadOptions) =>
		new Promise<SparkyFile>((resolve, reject) => {
			calls.push({ file, options, resolve, reject });
			options.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
		});
	const discarded: string[] = [];
	const discard = async (id: string) => {
		discarded.push(id);
	};
	return { calls, upload, discard, discarded };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const file = (name: string, text = "hello") => new File([text], name, { type: "text/plain" });

describe("web: the attachment tray", () => {
	it("uploads each file as it is added, shows progress, and is ready when all are done", async () => {
		const uploads = fakeUploads();
		let changes = 0;
		const tray = new AttachmentTray(uploads.upload, uploads.discard, () => changes++);
		tray.add([file("a.txt"), file("b.txt", "bee")]);
		expect(tray.items.map((i) => [i.file.name, i.state, i.progress])).toEqual([
			["a.txt", "uploading", 0],
			["b.txt", "uploading", 0],
		]);
		expect(uploads.calls.map((c) => c.file.name)).toEqual(["a.txt", "b.txt"]);
		expect(tray.uploading).toBe(true);

		const before = changes;
		uploads.calls[0]?.options.onProgress?.(0.4);
		expect(tray.items[0]?.progress).toBe(0.4);
		expect(changes).toBeGreaterThan(before);

		// Finished out of order: the tray keeps the order they were added in.
		uploads.calls[1]?.resolve(sparkyFile("file_b", "b.txt"));
		await settle();
		expect(tray.uploading).toBe(true);
		uploads.calls[0]?.resolve(sparkyFile("file_a", "a.txt"));
		await settle();
		expect(tray.items.map((i) => [i.state, i.progress])).toEqual([
			["done", 1],
			["done", 1],
		]);
		expect(tray.uploading).toBe(false);
		expect(tray.failed).toBe(false);
		expect(tray.files().map((f) => f.id)).toEqual(["file_a", "file_b"]);

		// Sent: the tray is empty again, and nothing was deleted.
		tray.clear();
		expect(tray.items).toEqual([]);
		expect(uploads.discarded).toEqual([]);
	});

	it("says in words why an upload failed, and a retry can succeed", async () => {
		const uploads = fakeUploads();
		const tray = new AttachmentTray(uploads.upload, uploads.discard, () => undefined);
		tray.add([file("big.bin"), file("full.txt"), file("fast.txt")]);
		uploads.calls[0]?.reject(new ApiError(413, "too_large", "a file may be at most 25 MB (SPARKY_MAX_FILE_MB)"));
		uploads.calls[1]?.reject(new ApiError(409, "conflict", "your files would pass 500 MB (SPARKY_FILES_QUOTA_MB)"));
		uploads.calls[2]?.reject(new ApiError(429, "rate_limited", "slow down"));
		await settle();
		expect(tray.items.map((i) => i.state)).toEqual(["error", "error", "error"]);
		expect(tray.items.map((i) => i.error)).toEqual([
			"Too large: a file may be at most 25 MB (SPARKY_MAX_FILE_MB)",
			"No room left: your files would pass 500 MB (SPARKY_FILES_QUOTA_MB)",
			"Too many uploads at once: try again in a moment.",
		]);
		expect(tray.failed).toBe(true);
		expect(tray.files()).toEqual([]);

		tray.retry(tray.items[2]?.key ?? "");
		expect(tray.items[2]).toMatchObject({ state: "uploading", progress: 0, error: undefined });
		expect(uploads.calls).toHaveLength(4);
		uploads.calls[3]?.resolve(sparkyFile("file_fast", "fast.txt"));
		await settle();
		expect(tray.items[2]?.state).toBe("done");
		// A file that uploaded already is not uploaded again.
		tray.retry(tray.items[2]?.key ?? "");
		expect(uploads.calls).toHaveLength(4);
	});

	it("aborts an upload removed while it runs; deletes one removed after it finished", async () => {
		const uploads = fakeUploads();
		const tray = new AttachmentTray(uploads.upload, uploads.discard, () => undefined);
		tray.add([file("slow.txt"), file("done.txt")]);
		uploads.calls[1]?.resolve(sparkyFile("file_done", "done.txt"));
		await settle();

		const [slow, done] = tray.items;
		tray.remove(slow?.key ?? "");
		expect(uploads.calls[0]?.options.signal?.aborted).toBe(true);
		await settle();
		expect(tray.items.map((i) => i.file.name)).toEqual(["done.txt"]);
		expect(uploads.discarded).toEqual([]);

		tray.remove(done?.key ?? "");
		expect(tray.items).toEqual([]);
		expect(uploads.discarded).toEqual(["file_done"]);
	});

	it("takes at most ten files a message, and says how many it left out", () => {
		const uploads = fakeUploads();
		const tray = new AttachmentTray(uploads.upload, uploads.discard, () => undefined);
		tray.add(Array.from({ length: 8 }, (_, i) => file(`f${i}.txt`)));
		expect(tray.note).toBeUndefined();
		tray.add([file("x.txt"), file("y.txt"), file("z.txt"), file("w.txt")]);
		expect(tray.items).toHaveLength(10);
		expect(uploads.calls).toHaveLength(10);
		expect(tray.items.at(-1)?.file.name).toBe("y.txt");
		expect(tray.note).toBe("A message can carry at most 10 files: 2 left out.");
	});

	it("stops uploads in flight when the form goes away", () => {
		const uploads = fakeUploads();
		const tray = new AttachmentTray(uploads.upload, uploads.discard, () => undefined);
		tray.add([file("a.txt")]);
		tray.dispose();
		expect(uploads.calls[0]?.options.signal?.aborted).toBe(true);
	});
});

/** A fake `/api/files`: remembers requests, answers from `pages` and `store`. */
function fakeFilesServer() {
	const seen: { method: string; url: URL; headers: Headers }[] = [];
	const pages = new Map<string, { files: SparkyFile[]; next_cursor: string | null }>();
	const store = new Map<string, { file: SparkyFile; bytes: string }>();
	const fetchImpl: typeof fetch = async (input, init) => {
		const url = new URL(String(input));
		const method = init?.method ?? "GET";
		seen.push({ method, url, headers: new Headers(init?.headers) });
		const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status });
		if (method === "GET" && url.pathname === "/api/files") {
			return json(pages.get(url.searchParams.get("cursor") ?? "") ?? { files: [], next_cursor: null });
		}
		const [, , , id, content] = url.pathname.split("/");
		const known = store.get(id ?? "");
		if (!known) return json({ error: { code: "not_found", message: `file ${id} not found` } }, 404);
		if (method === "DELETE") {
			store.delete(known.file.id);
			return new Response(null, { status: 204 });
		}
		return content === "content" ? new Response(known.bytes) : json({ file: known.file });
	};
	return { seen, pages, store, api: new Api("tok", "http://sparky.test", fetchImpl) };
}

describe("web: the files API and the Files panel's list", () => {
	it("pages by the cursor, each file once; a delete takes the row out, a gone file is gone all the same", async () => {
		const server = fakeFilesServer();
		server.pages.set("", { files: [sparkyFile("file_2", "two"), sparkyFile("file_1", "one")], next_cursor: "c1" });
		server.pages.set("c1", { files: [sparkyFile("file_1", "one"), sparkyFile("file_0", "zero")], next_cursor: null });
		server.store.set("file_2", { file: sparkyFile("file_2", "two"), bytes: "22" });
		const list = new FileList(new FileApi(server.api), () => undefined);
		await list.reload();
		expect(list.rows.map((f) => f.id)).toEqual(["file_2", "file_1"]);
		expect(list.nextCursor).toBe("c1");
		await list.loadMore();
		expect(list.rows.map((f) => f.id)).toEqual(["file_2", "file_1", "file_0"]);
		expect(list.nextCursor).toBeNull();
		expect(server.seen.map((r) => `${r.url.searchParams.get("limit")} ${r.url.searchParams.get("cursor")}`)).toEqual([
			"50 null",
			"50 c1",
		]);

		await list.remove("file_2");
		await list.remove("file_1"); // a 404: deleted elsewhere meanwhile
		expect(list.rows.map((f) => f.id)).toEqual(["file_0"]);
		expect(server.store.size).toBe(0);
	});

	it("refuses an answer that isn't a page of files", async () => {
		const server = fakeFilesServer();
		server.pages.set("", { files: [{ id: "file_x" } as SparkyFile], next_cursor: null });
		const list = new FileList(new FileApi(server.api), () => undefined);
		await list.reload();
		expect(list.rows).toEqual([]);
		expect(list.error).toBeTruthy();
	});

	it("fetches a file's bytes with the Authorization header; a missing one is an ApiError", async () => {
		const server = fakeFilesServer();
		server.store.set("file_a", { file: sparkyFile("file_a", "a.txt"), bytes: "hello" });
		const files = new FileApi(server.api);
		expect(await (await files.content("file_a")).text()).toBe("hello");
		expect(server.seen[0]?.url.pathname).toBe("/api/files/file_a/content");
		expect(server.seen[0]?.headers.get("authorization")).toBe("Bearer tok");
		await expect(files.content("file_gone")).rejects.toMatchObject({ status: 404, code: "not_found" });
	});

	it("knows which files each chat message carries: from history rows and from its own send's answer", () => {
		const server = fakeFilesServer();
		let changes = 0;
		const files = new SessionFiles(server.api, () => changes++);
		const pdf = sparkyFile("file_pdf", "report.pdf", { type: "application/pdf" });
		files.noteHistory([
			{ id: "turn_1:user", attachments: [pdf] },
			{ id: "turn_1:assistant" },
			{ id: "turn_2:user", attachments: [] },
		]);
		expect(files.ofMessage("turn_1:user")).toEqual([pdf]);
		expect(files.ofMessage("turn_1:assistant")).toBeUndefined();
		expect(files.ofMessage("turn_2:user")).toBeUndefined();

		const png = sparkyFile("file_png", "cat.png", { type: "image/png" });
		files.noteSent({ type: "ack", frame: "chat.send", ref: "r1", result: { message_id: "turn_3:user" } }, [png]);
		expect(files.ofMessage("turn_3:user")).toEqual([png]);
		// The sender's tab shows them at once, whether or not another event follows.
		expect(changes).toBe(1);
		files.noteSent({ type: "error", ref: "r2", code: "invalid", message: "no" }, [png]);
		expect(files.ofMessage("turn_4:user")).toBeUndefined();
	});
});

describe("web: how files are named on the page", () => {
	it("sizes, types and which ones are thumbnails", () => {
		expect(formatBytes(0)).toBe("0 B");
		expect(formatBytes(812)).toBe("812 B");
		expect(formatBytes(1536)).toBe("1.5 KB");
		expect(formatBytes(14 * 1024)).toBe("14 KB");
		expect(formatBytes(3.25 * 1024 * 1024)).toBe("3.3 MB");
		expect(formatBytes(25 * 1024 * 1024)).toBe("25 MB");
		expect(typeLabel("application/pdf")).toBe("PDF");
		expect(typeLabel("image/png")).toBe("PNG");
		expect(typeLabel("text/plain; charset=utf-8")).toBe("text");
		expect(typeLabel("application/vnd.ms-excel")).toBe("vnd.ms-excel");
		expect(isImage("image/png")).toBe(true);
		expect(isImage("IMAGE/JPEG")).toBe(true);
		// Not shown inline: an SVG may carry script.
		expect(isImage("image/svg+xml")).toBe(false);
		expect(isImage("text/html")).toBe(false);
	});

	it("words for a failed upload", () => {
		expect(uploadErrorText(new ApiError(0, "network", "x"))).toMatch(/^The upload was cut off/);
		expect(uploadErrorText(new ApiError(400, "invalid", "name is empty"))).toBe("name is empty");
		expect(uploadErrorText(new Error("boom"))).toBe("boom");
	});

	it("has a Files panel at /files", () => {
		expect(parseRoute("/files")).toEqual({ kind: "files" });
		expect(parseRoute("/files/file_1")).toEqual({ kind: "home" });
		expect(routePath({ kind: "files" })).toBe("/files");
	});
});
