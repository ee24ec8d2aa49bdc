import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	deleteFile,
	ensureWorkspace,
	fileSize,
	listFiles,
	readFile,
	usage,
	WELCOME_README,
	writeFile,
} from "../../src/storage/workspace.ts";
import { dbUser } from "../support/db.ts";

describe("storage: workspace", () => {
	it("seeds the README once, and not again after it is deleted", async () => {
		const user = await dbUser();
		await ensureWorkspace(env.DB, user.id, 1_000);
		expect(await readFile(env.DB, user.id, "README.md")).toBe(WELCOME_README);
		expect(await deleteFile(env.DB, user.id, "README.md")).toBe(true);
		await ensureWorkspace(env.DB, user.id, 2_000);
		expect(await listFiles(env.DB, user.id)).toEqual([]);
	});

	it("creates, then replaces a file, counting UTF-8 bytes", async () => {
		const user = await dbUser();
		expect(await writeFile(env.DB, user.id, "a.txt", "héllo", 1)).toEqual({ created: true, size: 6 });
		expect(await writeFile(env.DB, user.id, "a.txt", "bye", 2)).toEqual({ created: false, size: 3 });
		expect(await readFile(env.DB, user.id, "a.txt")).toBe("bye");
		expect(await listFiles(env.DB, user.id)).toEqual([{ path: "a.txt", size: 3, updated_at: 2 }]);
		expect(await fileSize(env.DB, user.id, "a.txt")).toBe(3);
	});

	it("keeps users' files apart", async () => {
		const user = await dbUser();
		const other = await dbUser();
		await writeFile(env.DB, user.id, "same.md", "mine", 1);
		await writeFile(env.DB, other.id, "same.md", "theirs", 1);
		expect(await readFile(env.DB, user.id, "same.md")).toBe("mine");
		expect(await readFile(env.DB, other.id, "same.md")).toBe("theirs");
		expect(await deleteFile(env.DB, other.id, "same.md")).toBe(true);
		expect(await readFile(env.DB, user.id, "same.md")).toBe("mine");
	});

	it("lists by path, filtered by a literal prefix", async () => {
		const user = await dbUser();
		for (const path of ["notes/b.md", "a.md", "notes/a.md", "notes_x.md", "n%tes/c.md"])
			await writeFile(env.DB, user.id, path, "x", 1);
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

	it("sums usage per user; zero for an empty workspace", async () => {
		const user = await dbUser();
		expect(await usage(env.DB, user.id)).toEqual({ files: 0, bytes: 0 });
		await writeFile(env.DB, user.id, "a", "12345", 1);
		await writeFile(env.DB, user.id, "b", "123", 1);
		expect(await usage(env.DB, user.id)).toEqual({ files: 2, bytes: 8 });
	});

	it("has nothing for a missing file", async () => {
		const user = await dbUser();
		expect(await readFile(env.DB, user.id, "nope")).toBeNull();
		expect(await fileSize(env.DB, user.id, "nope")).toBeNull();
		expect(await deleteFile(env.DB, user.id, "nope")).toBe(false);
	});

	it("keeps an empty file (null only when missing)", async () => {
		const user = await dbUser();
		expect(await writeFile(env.DB, user.id, "empty", "", 1)).toEqual({ created: true, size: 0 });
		expect(await readFile(env.DB, user.id, "empty")).toBe("");
		expect(await fileSize(env.DB, user.id, "empty")).toBe(0);
	});
});
