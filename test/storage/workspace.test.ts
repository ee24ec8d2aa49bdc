import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/protocol/index.ts";
import {
	collectGarbage,
	deleteFile,
	ensureWorkspace,
	listFiles,
	moveInline,
	readInline,
	saveFile,
	statFile,
	sweepWorkspaceGarbage,
	usage,
	WELCOME_README,
	type WorkspaceLimits,
} from "../../src/storage/workspace.ts";
import { PENDING_GRACE_MS } from "../../src/storage/workspace-objects.ts";
import { MOVED_CONTENT } from "../../src/storage/workspace-rows.ts";
import { dbUser } from "../support/db.ts";
import { random } from "../support/random.ts";
import { garbageOf, objectKeys, objectText, oldCode, sha256Of, storedRow, streamOf } from "../support/workspace.ts";

const roomy: WorkspaceLimits = { fileBytes: 1_000_000, files: 100, quotaBytes: 10_000_000 };
const text = (s: string) => ({ bytes: new TextEncoder().encode(s) });
const save = (userId: string, path: string, content: string, now = 1, limits = roomy) =>
	saveFile(env, userId, path, text(content), "text/plain", limits, now);

describe("storage: workspace in R2", () => {
	it("seeds the README once, in R2, and not again after it is deleted", async () => {
		const user = await dbUser();
		await ensureWorkspace(env, user.id, 1_000);
		const row = await statFile(env.DB, user.id, "README.md");
		expect(row).toMatchObject({ type: "text/markdown", size: new TextEncoder().encode(WELCOME_README).length });
		expect(await objectText(row?.object_key as string)).toBe(WELCOME_README);
		expect(await deleteFile(env.DB, user.id, "README.md")).toBe(true);
		await collectGarbage(env, 2_000, { userId: user.id });
		await ensureWorkspace(env, user.id, 2_000);
		expect(await listFiles(env.DB, user.id)).toEqual([]);
		expect(await objectKeys(user.id)).toEqual([]);
	});

	it("writes each version to a new object, and deletes the one it replaced", async () => {
		const user = await dbUser();
		expect(await save(user.id, "a.txt", "héllo", 1)).toMatchObject({ ok: true, created: true, size: 6 });
		const first = (await statFile(env.DB, user.id, "a.txt"))?.object_key as string;
		expect(first).toMatch(new RegExp(`^workspace/${user.id}/wso_`));
		expect(await save(user.id, "a.txt", "bye", 2)).toMatchObject({ ok: true, created: false, size: 3 });
		const row = await storedRow(user.id, "a.txt");
		expect(row).toMatchObject({ size: 3, updated_at: 2, sha256: await sha256Of(new TextEncoder().encode("bye")) });
		expect(row?.object_key).not.toBe(first);
		expect(await objectText(row?.object_key as string)).toBe("bye");
		// The replaced object is garbage (a trigger said so) until collected.
		expect(await garbageOf(user.id)).toEqual([{ object_key: first, pending: 0 }]);
		expect(await collectGarbage(env, 3, { userId: user.id })).toBe(1);
		expect(await objectKeys(user.id)).toEqual([row?.object_key]);
		expect(await garbageOf(user.id)).toEqual([]);
	});

	it("keeps users' files apart, each under their own prefix", async () => {
		const [user, other] = [await dbUser(), await dbUser()];
		await save(user.id, "same.md", "mine");
		await save(other.id, "same.md", "theirs");
		expect(await objectText((await statFile(env.DB, user.id, "same.md"))?.object_key as string)).toBe("mine");
		expect(await deleteFile(env.DB, other.id, "same.md")).toBe(true);
		await collectGarbage(env, 2, { userId: other.id });
		expect(await objectKeys(other.id)).toEqual([]);
		expect(await objectKeys(user.id)).toHaveLength(1);
	});

	it("lists by path, filtered by a literal prefix", async () => {
		const user = await dbUser();
		for (const path of ["notes/b.md", "a.md", "notes/a.md", "notes_x.md", "n%tes/c.md"]) await save(user.id, path, "x");
		expect((await listFiles(env.DB, user.id)).map((f) => f.path)).toEqual([
			"a.md",
			"n%tes/c.md",
			"notes/a.md",
			"notes/b.md",
			"notes_x.md",
		]);
		expect((await listFiles(env.DB, user.id, "notes/")).map((f) => f.path)).toEqual(["notes/a.md", "notes/b.md"]);
		expect((await listFiles(env.DB, user.id, "n%")).map((f) => f.path)).toEqual(["n%tes/c.md"]);
	});

	it("streams a copy in, hashing it; a stream shorter than it said stores nothing", async () => {
		const user = await dbUser();
		const next = random(25);
		const bytes = Uint8Array.from({ length: 200_000 }, () => Math.floor(next() * 256));
		const saved = await saveFile(
			env,
			user.id,
			"blob.bin",
			{ stream: streamOf(bytes, 16_384), size: bytes.length },
			"application/octet-stream",
			roomy,
			1,
		);
		expect(saved).toMatchObject({ ok: true, size: 200_000, sha256: await sha256Of(bytes) });
		const key = (await statFile(env.DB, user.id, "blob.bin"))?.object_key as string;
		expect(new Uint8Array(await ((await env.FILES.get(key)) as R2ObjectBody).arrayBuffer())).toEqual(bytes);

		const short = saveFile(
			env,
			user.id,
			"short.bin",
			{ stream: streamOf(bytes.subarray(0, 1000)), size: 5000 },
			"application/octet-stream",
			roomy,
			2,
		);
		await expect(short).rejects.toThrow();
		expect(await statFile(env.DB, user.id, "short.bin")).toBeNull();
		expect(await objectKeys(user.id)).toEqual([key]);
		expect(await garbageOf(user.id)).toEqual([]);
	});

	it("sums usage per user, with their uploads (one quota)", async () => {
		const user = await dbUser();
		expect(await usage(env.DB, user.id)).toEqual({ files: 0, bytes: 0, uploadBytes: 0 });
		await save(user.id, "a", "12345");
		await save(user.id, "b", "123");
		await env.DB.prepare(
			"INSERT INTO files (id, user_id, name, type, size, status, created_at) VALUES (?, ?, 'u.bin', 'application/octet-stream', 40, 'ready', 1)",
		)
			.bind(newId("file"), user.id)
			.run();
		expect(await usage(env.DB, user.id)).toEqual({ files: 2, bytes: 8, uploadBytes: 40 });
	});

	it("refuses past the limits before storing a byte, and keeps a file that grows no bigger", async () => {
		const user = await dbUser();
		const limits = { fileBytes: 10, files: 2, quotaBytes: 15 };
		expect(await save(user.id, "big", "x".repeat(11), 1, limits)).toMatchObject({ ok: false, reason: "too_large" });
		await save(user.id, "a", "x".repeat(8), 1, limits);
		expect(await save(user.id, "b", "x".repeat(8), 1, limits)).toMatchObject({ ok: false, reason: "quota" });
		await save(user.id, "b", "x".repeat(7), 1, limits);
		expect(await save(user.id, "c", "x", 1, limits)).toMatchObject({ ok: false, reason: "files" });
		// The quota lowered below what is kept: a file may still shrink or stay its size.
		const lowered = { ...limits, quotaBytes: 5 };
		expect(await save(user.id, "a", "y".repeat(8), 2, lowered)).toMatchObject({ ok: true });
		expect(await save(user.id, "a", "y".repeat(9), 3, lowered)).toMatchObject({ ok: false, reason: "quota" });
		expect(await objectKeys(user.id)).toHaveLength(2 + 1); // a's replaced object is garbage, not yet collected
		expect(await garbageOf(user.id)).toHaveLength(1);
	});

	it("holds the limits under parallel writes: the check and the write are one statement", async () => {
		const user = await dbUser();
		const limits = { fileBytes: 100, files: 5, quotaBytes: 10_000 };
		const results = await Promise.all(
			Array.from({ length: 12 }, (_, i) => save(user.id, `f${i}.txt`, "data", 1, limits)),
		);
		expect(results.filter((r) => r.ok)).toHaveLength(5);
		expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === "files")).toBe(true);
		expect((await usage(env.DB, user.id)).files).toBe(5);
		// Every refused write's object is gone: only the five kept remain.
		expect(await objectKeys(user.id)).toHaveLength(5);
		expect(await garbageOf(user.id)).toEqual([]);

		const other = await dbUser();
		const quota = { fileBytes: 100, files: 100, quotaBytes: 250 };
		const parallel = await Promise.all(
			Array.from({ length: 10 }, (_, i) => save(other.id, `q${i}`, "z".repeat(50), 1, quota)),
		);
		expect(parallel.filter((r) => r.ok)).toHaveLength(5);
		expect((await usage(env.DB, other.id)).bytes).toBe(250);
	});

	it("an append fails as `changed` when the file changed since it was read", async () => {
		const user = await dbUser();
		await save(user.id, "log.txt", "one", 1);
		const read = await statFile(env.DB, user.id, "log.txt");
		await save(user.id, "log.txt", "other", 2);
		const stale = { object_key: read?.object_key ?? null, updated_at: read?.updated_at ?? 0 };
		const result = await saveFile(env, user.id, "log.txt", text("one+two"), "text/plain", roomy, 3, stale);
		expect(result).toMatchObject({ ok: false, reason: "changed" });
		expect(await objectText((await statFile(env.DB, user.id, "log.txt"))?.object_key as string)).toBe("other");
	});

	it("has nothing for a missing file; keeps an empty one", async () => {
		const user = await dbUser();
		expect(await statFile(env.DB, user.id, "nope")).toBeNull();
		expect(await deleteFile(env.DB, user.id, "nope")).toBe(false);
		expect(await save(user.id, "empty", "")).toMatchObject({ ok: true, size: 0 });
		expect(await objectText((await statFile(env.DB, user.id, "empty"))?.object_key as string)).toBe("");
	});
});

describe("storage: workspace rows written before #25", () => {
	it("moves an inline row to R2 as it is, and says so to the old code", async () => {
		const user = await dbUser();
		await oldCode.write(user.id, "old.md", "# Old\n", 5);
		const inline = await readInline(env.DB, user.id, "old.md");
		expect(inline).toEqual({ content: "# Old\n", updated_at: 5 });
		expect(await moveInline(env, user.id, "old.md", inline as never, "text/markdown", 9)).toBe(true);
		const row = await storedRow(user.id, "old.md");
		expect(row).toMatchObject({ size: 6, type: "text/markdown", updated_at: 5, content: MOVED_CONTENT });
		expect(await objectText(row?.object_key as string)).toBe("# Old\n");
		expect(await readInline(env.DB, user.id, "old.md")).toBeNull();
		// The old code, still running during a deploy, reads words that say where it went.
		expect(await oldCode.read(user.id, "old.md")).toBe(MOVED_CONTENT);
	});

	it("a move racing a write of the old code leaves the old code's write, and no object", async () => {
		const user = await dbUser();
		await oldCode.write(user.id, "race.md", "first", 5);
		const copied = await readInline(env.DB, user.id, "race.md");
		await oldCode.write(user.id, "race.md", "second", 6);
		expect(await moveInline(env, user.id, "race.md", copied as never, "text/markdown", 9)).toBe(false);
		expect(await readInline(env.DB, user.id, "race.md")).toEqual({ content: "second", updated_at: 6 });
		expect(await objectKeys(user.id)).toEqual([]);
		expect(await garbageOf(user.id)).toEqual([]);
	});

	it("an append by the old code to a file in R2 is refused, not lost: the file stays as it was", async () => {
		const user = await dbUser();
		await save(user.id, "log.md", "kept in R2", 1);
		const before = await storedRow(user.id, "log.md");
		// The old code appends to what it reads (MOVED_CONTENT), as its write_file did.
		const read = (await oldCode.read(user.id, "log.md")) as string;
		await expect(oldCode.write(user.id, "log.md", `${read}more`, 2)).rejects.toThrow(/newer version of Sparky/);
		await expect(oldCode.write(user.id, "log.md", read, 2)).rejects.toThrow(/newer version of Sparky/);
		expect(await storedRow(user.id, "log.md")).toEqual(before);
		expect(await objectText(before?.object_key as string)).toBe("kept in R2");
		expect(await garbageOf(user.id)).toEqual([]);
	});

	it("a rewrite by the old code of a file in R2 makes it inline again, and its object garbage", async () => {
		const user = await dbUser();
		await save(user.id, "doc.md", "new code", 1);
		const key = (await statFile(env.DB, user.id, "doc.md"))?.object_key;
		await oldCode.write(user.id, "doc.md", "old code", 2);
		expect(await readInline(env.DB, user.id, "doc.md")).toEqual({ content: "old code", updated_at: 2 });
		expect(await storedRow(user.id, "doc.md")).toMatchObject({ object_key: null, type: null, sha256: null, size: 8 });
		expect(await garbageOf(user.id)).toEqual([{ object_key: key, pending: 0 }]);
		await oldCode.delete(user.id, "doc.md");
		expect(await garbageOf(user.id)).toEqual([{ object_key: key, pending: 0 }]);

		await save(user.id, "gone.md", "x", 3);
		const gone = (await statFile(env.DB, user.id, "gone.md"))?.object_key;
		await oldCode.delete(user.id, "gone.md");
		expect((await garbageOf(user.id)).map((g) => g.object_key).sort()).toEqual([key, gone].sort());
		await collectGarbage(env, 4, { userId: user.id });
		expect(await objectKeys(user.id)).toEqual([]);
	});
});

describe("storage: workspace garbage", () => {
	it("an object written but never claimed (a crash before its row) is deleted after the grace, not before", async () => {
		const user = await dbUser();
		const key = `workspace/${user.id}/${newId("wso")}`;
		await env.DB.prepare("INSERT INTO workspace_garbage (object_key, user_id, pending, created_at) VALUES (?, ?, 1, ?)")
			.bind(key, user.id, 1_000)
			.run();
		await env.FILES.put(key, "orphan");
		expect(await collectGarbage(env, 1_000 + PENDING_GRACE_MS - 1, { userId: user.id })).toBe(0);
		expect(await objectKeys(user.id)).toEqual([key]);
		expect(await collectGarbage(env, 1_000 + PENDING_GRACE_MS + 1, { userId: user.id })).toBe(1);
		expect(await objectKeys(user.id)).toEqual([]);
		expect(await garbageOf(user.id)).toEqual([]);
	});

	it("a deleted user's files are garbage, and the tick's sweep deletes their objects", async () => {
		const user = await dbUser();
		await save(user.id, "a", "1");
		await save(user.id, "b", "2");
		expect(await objectKeys(user.id)).toHaveLength(2);
		await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
		expect(await garbageOf(user.id)).toHaveLength(2);
		let swept = 0;
		while ((await garbageOf(user.id)).length > 0 && swept < 50) swept += await sweepWorkspaceGarbage(env, Date.now());
		expect(await objectKeys(user.id)).toEqual([]);
	});
});
