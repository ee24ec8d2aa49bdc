// `sparky files …` against a real wrangler dev (its local R2): upload streamed from disk, list,
// download (sha256 equal), rm, and none of it seen by another user; the pure pieces of the
// progress bar and type guess. Checks before sending and `--attach` are attach.test.ts.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatBytes, progressLine } from "../../cli/progress.ts";
import { guessType } from "../../cli/upload.ts";
import { json, newUser, sparky } from "./support/cli.ts";
import { type FileJson, folder, listed, ok, type PageJson, sha256 } from "./support/files.ts";

describe("sparky files", () => {
	it("upload, list, get (sha256 equal, to a file and to stdout), rm; another user sees none of it", async () => {
		const { env } = await newUser("files");
		const dir = folder();
		const text = "Ünïcode notes\nline two ✓\n";
		const binary = randomBytes(300_000);
		writeFileSync(join(dir, "notes.txt"), text);
		writeFileSync(join(dir, "blob.bin"), binary);

		const up = json<{ files: FileJson[] }>(
			await ok(env, ["files", "upload", join(dir, "notes.txt"), join(dir, "blob.bin"), "--json"]),
		).files;
		expect(up.map((f) => [f.name, f.size, f.sha256, f.attached])).toEqual([
			["notes.txt", Buffer.byteLength(text), sha256(text), false],
			["blob.bin", binary.length, sha256(binary), false],
		]);
		const [notes, blob] = up as [FileJson, FileJson];
		expect(notes.type).toMatch(/^text\/plain/);
		// One file: the API's answer as is.
		writeFileSync(join(dir, "one.md"), "# One\n");
		const one = json<{ file: FileJson }>(await ok(env, ["files", "upload", join(dir, "one.md"), "--json"])).file;
		expect(one).toMatchObject({ name: "one.md", size: 6, sha256: sha256("# One\n") });
		const human = await ok(env, ["files", "upload", join(dir, "notes.txt")]);
		expect(human.stdout).toMatch(/^Uploaded notes\.txt \(\d+ B, text\/plain[^)]*\) as file_\S+\.$/m);

		const files = await listed(env);
		expect(files.map((f) => f.id).slice(1)).toEqual([one.id, blob.id, notes.id]);
		const table = await ok(env, ["files", "list"]);
		expect(table.stdout).toMatch(/^ID\s+SIZE\s+TYPE\s+UPLOADED\s+ATTACHED\s+NAME$/m);
		expect(table.stdout).toMatch(
			new RegExp(`^${blob.id}\\s+293\\.0 KiB\\s+\\S+\\s+(now|\\d+s ago)\\s+no\\s+blob\\.bin$`, "m"),
		);
		// Pages: the human list says how to get the next; --all follows them all.
		const first = await ok(env, ["files", "list", "--limit", "2"]);
		const more = /more: sparky files list --limit 2 --cursor (\S+)/.exec(first.stdout);
		expect(more, first.stdout).not.toBeNull();
		const second = json<PageJson>(
			await ok(env, ["files", "list", "--limit", "2", "--cursor", more?.[1] ?? "", "--json"]),
		);
		expect(second.files.map((f) => f.id)).toEqual(files.slice(2).map((f) => f.id));
		expect(json<PageJson>(await ok(env, ["files", "list", "--all", "--limit", "1", "--json"]))).toEqual({
			files,
			next_cursor: null,
		});

		// To a file: the same bytes; to a folder: under the file's name; never over a file unasked.
		const out = join(dir, "copy.bin");
		const saved = await ok(env, ["files", "get", blob.id, "-o", out]);
		expect(saved.stdout).toBe(`Saved blob.bin (293.0 KiB) to ${out}.\n`);
		expect(sha256(readFileSync(out))).toBe(blob.sha256);
		const into = join(dir, "down");
		mkdirSync(into);
		expect(json(await ok(env, ["files", "get", blob.id, "-o", into, "--json"]))).toEqual({
			file: blob,
			saved_to: join(into, "blob.bin"),
		});
		expect(readFileSync(join(into, "blob.bin")).equals(binary)).toBe(true);
		const again = await sparky(["files", "get", blob.id, "-o", out], { env });
		expect(again.code).toBe(6);
		expect(again.stderr).toMatch(/copy\.bin is there already/);
		expect(again.stderr).toMatch(/hint: pass -f to overwrite it/);
		await ok(env, ["files", "get", notes.id, "-o", out, "-f"]);
		expect(readFileSync(out, "utf8")).toBe(text);
		// stdout is a pipe here: the content goes there.
		expect((await ok(env, ["files", "get", notes.id])).stdout).toBe(text);
		expect((await ok(env, ["files", "download", notes.id, "-o", "-"])).stdout).toBe(text);
		const jsonToStdout = await sparky(["files", "get", notes.id, "--json"], { env });
		expect(jsonToStdout.code).toBe(2);
		expect(json<{ error: { message: string } }>(jsonToStdout).error.message).toMatch(/needs a file: -o FILE/);

		// Someone else: not found, whatever the command.
		const other = await newUser("files-other");
		for (const args of [
			["files", "get", blob.id, "-o", join(dir, "theirs")],
			["files", "rm", blob.id, "-f"],
		]) {
			const refused = await sparky(args, { env: other.env });
			expect(refused.code, refused.stderr).toBe(4);
		}
		expect(await listed(other.env)).toEqual([]);

		// rm asks first: without a terminal it needs -f.
		const unasked = await sparky(["files", "rm", blob.id], { env });
		expect(unasked.code).toBe(2);
		expect(unasked.stderr).toMatch(/pass -f/);
		expect((await ok(env, ["files", "rm", blob.id, "-f"])).stdout).toBe(`Deleted ${blob.id}.\n`);
		expect(json(await ok(env, ["files", "rm", notes.id, "-f", "--json"]))).toEqual({ deleted: true, id: notes.id });
		const gone = await sparky(["files", "get", blob.id, "-o", join(dir, "gone")], { env });
		expect(gone.code).toBe(4);
		expect((await listed(env)).map((f) => f.id)).not.toContain(blob.id);
		const badId = await sparky(["files", "rm", "../etc", "-f"], { env });
		expect(badId.code).toBe(2);
		expect(badId.stderr).toMatch(/invalid file id/);

		// An empty file is a file too.
		writeFileSync(join(dir, "empty.txt"), "");
		const empty = json<{ file: FileJson }>(await ok(env, ["files", "upload", join(dir, "empty.txt"), "--json"])).file;
		expect(empty).toMatchObject({ name: "empty.txt", size: 0, sha256: sha256("") });
		expect((await ok(env, ["files", "get", empty.id])).stdout).toBe("");
	});
});

describe("the pure pieces", () => {
	it("formatBytes: binary units, as the server's limits are counted", () => {
		expect([0, 1023, 1024, 1536, 25 * 1024 * 1024, 1024 ** 3 - 1, 3 * 1024 ** 4].map(formatBytes)).toEqual([
			"0 B",
			"1023 B",
			"1.0 KiB",
			"1.5 KiB",
			"25.0 MiB",
			"1.0 GiB",
			"3.0 TiB",
		]);
	});

	it("progressLine: the share, the bytes, the speed, the name cut to the terminal", () => {
		const half = progressLine("report.pdf", 12.5 * 1024 * 1024, 25 * 1024 * 1024, 2000, 120);
		expect(half.bar).toBe(`${"█".repeat(12)}${"░".repeat(12)}`);
		expect(half.text).toBe("  50% 12.5 MiB of 25.0 MiB · 6.3 MiB/s report.pdf");
		const narrow = progressLine("a-very-long-file-name-indeed.pdf", 1, 4, 0, 60);
		expect(narrow.bar.length + narrow.text.length).toBeLessThanOrEqual(59);
		expect(narrow.text).toBe("  25% 1 B of 4 B a-very-long-file-…");
		// An empty file is done at once; more than announced never passes 100%.
		expect(progressLine("empty", 0, 0, 10, 80).text).toMatch(/^ 100% 0 B of 0 B/);
		expect(progressLine("grew", 10, 5, 10, 80).bar).toBe("█".repeat(24));
	});

	it("guessType: by extension, a hint only; unknown is octet-stream", () => {
		expect(["a.PDF", "b.md", "c.csv", "d.png", "e", "f.tar.gz", "g.weird"].map(guessType)).toEqual([
			"application/pdf",
			"text/markdown; charset=utf-8",
			"text/csv; charset=utf-8",
			"image/png",
			"application/octet-stream",
			"application/gzip",
			"application/octet-stream",
		]);
	});
});
