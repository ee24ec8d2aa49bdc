// `--attach` and the checks before anything is sent, against a real wrangler dev: missing, a
// folder, twice, too many, over size (refused in words, no task made); a task and a one-shot chat
// whose answer names the file; uploads of a refused task deleted again; the progress bar and
// /attach in a pseudo-terminal, never with --json.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, json, NODE, newUser, sparky, start, which } from "./support/cli.ts";
import { type FileJson, folder, listed, ok, sha256, sparseFile } from "./support/files.ts";

describe("sparky --attach and the checks before sending", () => {
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
