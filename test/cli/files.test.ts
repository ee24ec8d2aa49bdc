// `sparky files …` and `--attach` against a real wrangler dev (its local R2): upload streamed
// from disk, list, download (sha256 equal), rm; files checked before anything is sent; an
// over-size file refused in words; a task and a one-shot chat whose answer names the file;
// the progress bar in a pseudo-terminal, never with --json.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatBytes, progressLine } from "../../cli/progress.ts";
import { guessType } from "../../cli/upload.ts";
import { BIN, configHome, json, NODE, newUser, sparky, start, which } from "./support/cli.ts";

interface FileJson {
	id: string;
	name: string;
	type: string;
	size: number;
	sha256: string;
	created_at: number;
	attached: boolean;
}
interface PageJson {
	files: FileJson[];
	next_cursor: string | null;
}

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** A fresh folder for a test's files. */
function folder(): string {
	const dir = join(configHome(), "files");
	mkdirSync(dir);
	return dir;
}

/** A file of `size` bytes that takes no room on disk (a hole): for the over-size tests. */
function sparseFile(path: string, size: number): string {
	writeFileSync(path, "");
	truncateSync(path, size);
	return path;
}

async function ok(env: NodeJS.ProcessEnv, args: string[]) {
	const result = await sparky(args, { env });
	expect(result.code, `sparky ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0);
	return result;
}

const listed = async (env: NodeJS.ProcessEnv) => json<PageJson>(await ok(env, ["files", "list", "--json"])).files;

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

	it("checks the files before anything is sent: missing, a folder, twice, more than ten", async () => {
		const { env } = await newUser("files-check");
		const dir = folder();
		const paths = Array.from({ length: 11 }, (_, i) => {
			const path = join(dir, `f${i}.txt`);
			writeFileSync(path, `file ${i}\n`);
			return path;
		});
		const cases: [string[], RegExp][] = [
			[["--attach", join(dir, "nope.pdf")], /--attach: cannot read .*nope\.pdf: no such file/],
			[["--attach", dir], /--attach: .* is not a file/],
			[["--attach", paths[0] ?? "", "--attach", paths[0] ?? ""], /--attach: .*f0\.txt is listed twice/],
			[paths.flatMap((p) => ["--attach", p]), /--attach: at most 10 files to a message \(got 11\)/],
		];
		for (const [flags, message] of cases) {
			const result = await sparky(["agent", "tasks", "add", "Describe the attached file", ...flags], { env });
			expect(result.code, result.stderr).toBe(2);
			expect(result.stderr).toMatch(message);
		}
		const missing = await sparky(["files", "upload", paths[0] ?? "", join(dir, "nope.txt")], { env });
		expect(missing.code).toBe(2);
		expect(missing.stderr).toMatch(/upload: cannot read .*nope\.txt: no such file/);
		// Nothing went: no file, no task.
		expect(await listed(env)).toEqual([]);
		const tasks = json<{ tasks: unknown[] }>(await ok(env, ["agent", "tasks", "list", "--json"]));
		expect(tasks.tasks).toEqual([]);
	});

	it("an over-size file is refused in words, before it is sent, and no task is made", async () => {
		const { env } = await newUser("files-big");
		const big = sparseFile(join(folder(), "big.bin"), 26 * 1024 * 1024);
		const started = Date.now();
		const upload = await sparky(["files", "upload", big], { env });
		expect(upload.code, upload.stderr).toBe(2);
		expect(upload.stderr).toMatch(/^error: cannot upload big\.bin \(26\.0 MiB\): .*\b25 MB\b/m);
		expect(upload.stderr).toMatch(/^ {2}cap: SPARKY_MAX_FILE_MB$/m);
		const attach = await sparky(["agent", "tasks", "add", "Describe the attached file", "--attach", big, "--json"], {
			env,
		});
		expect(attach.code).toBe(2);
		expect(json<{ error: { code: string; exit_code: number } }>(attach).error).toMatchObject({ exit_code: 2 });
		// Refused at the declared length: far quicker than sending 26 MiB twice would be on a loaded machine.
		expect(Date.now() - started).toBeLessThan(30_000);
		expect(await listed(env)).toEqual([]);
		expect(json<{ tasks: unknown[] }>(await ok(env, ["agent", "tasks", "list", "--json"])).tasks).toEqual([]);
	});

	it("--attach on tasks add: uploaded first, the task carries it, the answer names it", async () => {
		const { env } = await newUser("files-task");
		const dir = folder();
		writeFileSync(join(dir, "shopping.csv"), "item,qty\napples,3\npears,5\n");
		const run = await sparky(
			["agent", "tasks", "add", "Describe the attached file", "--attach", join(dir, "shopping.csv"), "--watch"],
			{ env },
		);
		expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
		expect(run.stderr).toMatch(/↑ shopping\.csv \(\d+ B, text\/csv[^)]*\) as file_\S+/);
		expect(run.stdout).toMatch(/▶ run 1 started[\s\S]*shopping\.csv/);
		expect(run.stdout).toMatch(/✔ task_\S+ succeeded in /);
		const id = /^(task_\S+) queued/m.exec(run.stdout)?.[1] ?? "";
		const task = json<{ task: { attachments?: FileJson[] } }>(await ok(env, ["agent", "tasks", "get", id, "--json"]));
		expect(task.task.attachments?.map((f) => f.name)).toEqual(["shopping.csv"]);
		expect((await ok(env, ["agent", "tasks", "get", id])).stdout).toMatch(
			/^attachments\s+shopping\.csv \(\d+ B, text\/csv[^)]*\) file_\S+$/m,
		);
		// Attached now: it no longer expires.
		expect((await listed(env)).map((f) => [f.name, f.attached])).toEqual([["shopping.csv", true]]);
	});

	it("uploads a refused task would have carried are deleted again; a replayed task keeps its own", async () => {
		const { env } = await newUser("files-refused");
		const path = join(folder(), "memo.txt");
		writeFileSync(path, "a memo\n");
		const refused = await sparky(
			["agent", "tasks", "add", "Describe the attached file", "--attach", path, "--chat", "chat_nope"],
			{
				env,
			},
		);
		expect(refused.code, refused.stderr).toBe(4);
		expect(refused.stderr).toMatch(/↑ memo\.txt .* as file_\S+/);
		expect(await listed(env)).toEqual([]);

		const args = [
			"agent",
			"tasks",
			"add",
			"Describe the attached file",
			"--attach",
			path,
			"--idempotency-key",
			"memo-1",
			"--json",
		];
		const first = json<{ task: { id: string; attachments?: FileJson[] } }>(await ok(env, args));
		const again = await sparky(args, { env });
		// The same bytes again under the same key: the task of the first time, or (should the
		// server tell uploads apart by id) a key reused; either way only the first upload is left.
		expect([0, 6], again.stderr).toContain(again.code);
		if (again.code === 0) expect(json<{ task: { id: string } }>(again).task.id).toBe(first.task.id);
		expect((await listed(env)).map((f) => f.id)).toEqual(first.task.attachments?.map((f) => f.id));
	});

	it("sparky chat MESSAGE --attach: one message with its file, the answer, exit", async () => {
		const { env } = await newUser("files-chat");
		const dir = folder();
		writeFileSync(join(dir, "poem.md"), "# Roses\nRoses are red\n");
		const run = await sparky(["chat", "Describe the attached file", "--attach", join(dir, "poem.md")], { env });
		expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
		expect(run.stdout).toMatch(/New chat chat_\S+\./);
		expect(run.stdout).toMatch(/📎 poem\.md \(\d+ B\)/);
		expect(run.stdout).toMatch(/you › Describe the attached file/);
		expect(run.stdout).toMatch(/sparky › [\s\S]*poem\.md/);
		expect((await listed(env)).map((f) => [f.name, f.attached])).toEqual([["poem.md", true]]);
	});
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const script = which("script");

describe.skipIf(!script)("progress and /attach in a pseudo-terminal", () => {
	const inPty = (argv: string[]): [string, string[]] => [
		script ?? "",
		["-q", "-e", "-c", [NODE, BIN, ...argv].map(quote).join(" "), "/dev/null"],
	];

	it("a large upload draws a progress bar on the terminal; --json draws none", async () => {
		const { env } = await newUser("files-bar");
		const path = join(folder(), "large.bin");
		writeFileSync(path, randomBytes(20 * 1024 * 1024));
		const shown = start([], { env: { ...env, TERM: "xterm" }, command: inPty(["files", "upload", path]) });
		const result = await shown.result;
		expect(result.code, shown.output()).toBe(0);
		expect(shown.output()).toMatch(/█{24} 100% 20\.0 MiB of 20\.0 MiB · [\d.]+ (KiB|MiB|GiB)\/s large\.bin/);
		// A small file is done before a bar could say anything: none.
		const small = join(folder(), "small.txt");
		writeFileSync(small, "small\n");
		const plain = start([], { env: { ...env, TERM: "xterm" }, command: inPty(["files", "upload", small]) });
		expect((await plain.result).code, plain.output()).toBe(0);
		expect(plain.output()).not.toMatch(/█|░/);
		expect(shown.output()).toMatch(/Uploaded large\.bin \(20\.0 MiB/);

		const quiet = start([], { env: { ...env, TERM: "xterm" }, command: inPty(["files", "upload", path, "--json"]) });
		expect((await quiet.result).code, quiet.output()).toBe(0);
		expect(quiet.output()).not.toMatch(/█|░/);
		const { file } = JSON.parse(quiet.output().trim()) as { file: FileJson };
		expect(file).toMatchObject({ name: "large.bin", size: 20 * 1024 * 1024 });

		// On a terminal, without -o: saved under its name in the current folder.
		const here = folder();
		const command = `cd ${quote(here)} && ${[NODE, BIN, "files", "get", file.id].map(quote).join(" ")}`;
		const saved = start([], {
			env: { ...env, TERM: "xterm" },
			command: [script ?? "", ["-q", "-e", "-c", command, "/dev/null"]],
		});
		expect((await saved.result).code, saved.output()).toBe(0);
		expect(saved.output()).toMatch(/Saved large\.bin \(20\.0 MiB\) to large\.bin\./);
		expect(sha256(readFileSync(join(here, "large.bin")))).toBe(sha256(readFileSync(path)));
	});

	it("/attach PATH in the chat: the file goes with the next message", async () => {
		const { env } = await newUser("files-attach");
		const path = join(folder(), "todo.txt");
		writeFileSync(path, "buy milk\ncall mum\n");
		const session = start([], { env: { ...env, TERM: "xterm" }, command: inPty(["chat", "--new"]) });
		await session.waitFor(/you › /);
		session.child.stdin?.write("/attach\r");
		await session.waitFor(/nothing attached: \/attach PATH adds a file/);
		session.child.stdin?.write(`/attach '${path}.nope'\r`);
		await session.waitFor(/✖ \/attach: cannot read .*todo\.txt\.nope: no such file/);
		// Attached, then dropped: deleted, not sent.
		session.child.stdin?.write(`/attach ${path}\r`);
		await session.waitFor(/📎 todo\.txt \(\d+ B\) goes with your next message/);
		session.child.stdin?.write("/detach\r");
		await session.waitFor(/dropped todo\.txt/);
		session.child.stdin?.write(`/attach ${path}\r`);
		await session.waitFor(/📎 todo\.txt \(\d+ B\) goes with your next message[\s\S]*📎 todo\.txt \(\d+ B\) goes with/);
		session.child.stdin?.write("/attach\r");
		await session.waitFor(/attached to your next message: todo\.txt/);
		session.child.stdin?.write("Describe the attached file\r");
		await session.waitFor(/sparky › [\s\S]*todo\.txt/);
		await session.waitFor(/tokens\r?\n.*you › /s);
		session.child.stdin?.write("/exit\r");
		expect((await session.result).code, session.output()).toBe(0);
		expect((await listed(env)).map((f) => [f.name, f.attached])).toEqual([["todo.txt", true]]);
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
