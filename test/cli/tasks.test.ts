// `sparky agent tasks …` and `sparky agent status` against a real wrangler dev.
import { describe, expect, it } from "vitest";
import { json, slowInstruction, sparky, start } from "./support/cli.ts";

interface TaskJson {
	id: string;
	status: string;
	instruction: string;
	metadata: Record<string, unknown> | null;
	max_attempts: number;
}

describe("sparky agent tasks", () => {
	it("adds a task and watches it to the end: thoughts, tool calls, results, the answer, exit 0", async () => {
		const run = await sparky([
			"agent",
			"tasks",
			"add",
			"List files in the workspace and summarise README.md",
			"--watch",
		]);
		expect(run.code, run.stderr).toBe(0);
		expect(run.stdout).toMatch(/^task_\S+ queued · List files in the workspace/m);
		expect(run.stdout).toMatch(/▶ run 1 started · model demo/);
		expect(run.stdout).toMatch(/thinking: .*list_files/);
		expect(run.stdout).toMatch(/⚙ list_files \{\}/);
		expect(run.stdout).toMatch(/↳ \{"files":\[\{"path":"README\.md"/);
		expect(run.stdout).toMatch(/⚙ read_file \{"path":"README\.md"\}/);
		expect(run.stdout).toMatch(/README\.md\*\* has \d+ lines/);
		expect(run.stdout).toMatch(/✔ task_\S+ succeeded in /);
		expect(run.stderr).toBe("");
	});

	it("cancelling a running task makes a concurrent watch exit non-zero", async () => {
		const added = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", slowInstruction("cancel"), "--json"]),
		);
		const watch = start(["agent", "tasks", "watch", added.task.id]);
		// The fetch is on screen: the task is running, and the page takes seconds to answer.
		await watch.waitFor(/⚙ http_fetch \{"url":"http:\/\/127\.0\.0\.1:\d+\/slow\?cancel"\}/);
		const cancel = await sparky(["agent", "tasks", "cancel", added.task.id]);
		expect(cancel.code, cancel.stderr).toBe(0);
		expect(cancel.stdout).toMatch(/Cancell(ing|ed) task_/);
		const watched = await watch.result;
		expect(watched.code).toBe(1);
		expect(watched.stdout).toMatch(/■ cancelled/);
		expect(watched.stdout).toMatch(new RegExp(`■ ${added.task.id} cancelled`));
		const got = json<{ task: TaskJson }>(await sparky(["agent", "tasks", "get", added.task.id, "--json"]));
		expect(got.task.status).toBe("cancelled");
		// Cancelling again: it already ended (conflict).
		const again = await sparky(["agent", "tasks", "cancel", added.task.id]);
		expect(again.code).toBe(6);
		expect(again.stderr).toMatch(/already cancelled/);
	});

	it("prints a task's text terminal-safe (no escape sequence reaches the terminal); --json keeps it as sent", async () => {
		const hostile = "look \u001b]52;c;ZXZpbA==\u0007here \u001b[2Kplease";
		const added = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", hostile, "--allow-duplicates", "--json"]),
		);
		for (const args of [
			["agent", "tasks", "get", added.task.id],
			["agent", "tasks", "list", "--limit", "50"],
		]) {
			const shown = await sparky(args);
			expect(shown.code, shown.stderr).toBe(0);
			expect(shown.stdout).toContain("look ]52;c;ZXZpbA==here");
			for (const control of ["\u001b", "\u0007", "\r"]) expect(shown.stdout).not.toContain(control);
		}
		const raw = json<{ task: TaskJson }>(await sparky(["agent", "tasks", "get", added.task.id, "--json"]));
		expect(raw.task.instruction).toBe(hostile);
	});

	it("--json: add, list, get, watch (NDJSON) and status parse", async () => {
		const added = json<{ task: TaskJson }>(
			await sparky([
				"agent",
				"tasks",
				"add",
				"what time is it",
				"-m",
				"source=cli-test",
				"-m",
				"n:=3",
				"--max-attempts",
				"2",
				"--allow-duplicates",
				"--json",
			]),
		);
		expect(added.task).toMatchObject({ status: "queued", metadata: { source: "cli-test", n: 3 }, max_attempts: 2 });

		const watched = await sparky(["agent", "tasks", "watch", added.task.id, "--json"]);
		expect(watched.code).toBe(0);
		const lines = watched.stdout
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(lines[0]).toHaveProperty("task.id", added.task.id);
		expect(lines.some((l) => l.type === "TOOL_CALL_START" && l.toolCallName === "current_time")).toBe(true);
		expect(lines.at(-1)).toHaveProperty("task.status", "succeeded");

		const list = json<{ tasks: TaskJson[]; next_cursor: string | null }>(
			await sparky(["agent", "tasks", "list", "-s", "succeeded", "-l", "50", "--json"]),
		);
		expect(list.tasks.map((t) => t.id)).toContain(added.task.id);
		expect(list.tasks.every((t) => t.status === "succeeded")).toBe(true);

		const page = json<{ tasks: TaskJson[]; next_cursor: string | null }>(
			await sparky(["agent", "tasks", "list", "-l", "1", "--json"]),
		);
		expect(page.tasks).toHaveLength(1);
		expect(page.next_cursor).toEqual(expect.any(String));
		const next = json<{ tasks: TaskJson[] }>(
			await sparky(["agent", "tasks", "list", "-l", "1", "--cursor", page.next_cursor ?? "", "--json"]),
		);
		expect(next.tasks[0]?.id).not.toBe(page.tasks[0]?.id);

		const got = json<{ task: TaskJson }>(await sparky(["agent", "tasks", "get", added.task.id, "--json"]));
		expect(got.task).toMatchObject({ id: added.task.id, status: "succeeded" });

		const status = json<{ model: string; counts: Record<string, number>; scope: string }>(
			await sparky(["agent", "status", "--json"]),
		);
		expect(status).toMatchObject({ model: "demo", scope: "all" });
		expect(status.counts.succeeded).toBeGreaterThan(0);

		const human = await sparky(["agent", "status"]);
		expect(human.stdout).toMatch(/model\s+demo/);
		expect(human.stdout).toMatch(/succeeded \d+/);
	});

	it("idempotency keys, duplicates, dependencies", async () => {
		const key = `cli-${Date.now()}`;
		const first = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", "what time is it, key", key, "--idempotency-key", key, "--json"]),
		);
		const second = await sparky(["agent", "tasks", "add", "what time is it, key", key, "--idempotency-key", key]);
		expect(second.code).toBe(0);
		expect(second.stdout).toMatch(new RegExp(`${first.task.id} was already submitted with this idempotency key`));

		// The same instruction while the first is still active: a conflict, with the way around it.
		const long = slowInstruction(key);
		const dupe = await sparky(["agent", "tasks", "add", long, "--json"]);
		const dupeAgain = await sparky(["agent", "tasks", "add", long]);
		expect(dupeAgain.code).toBe(6);
		expect(dupeAgain.stderr).toMatch(/an identical task is already (queued|running): task_/);
		expect(dupeAgain.stderr).toMatch(/--allow-duplicates/);

		// A task that waits for another: cancelled while it waits, its watch exits 1. The one it
		// waits for asks before its fetch runs, so it stays unfinished however slow the machine is.
		const gated = await sparky([
			"agent",
			"tasks",
			"add",
			slowInstruction(`${key}-gate`),
			"--approve",
			"http_fetch",
			"--allow-duplicates",
			"--json",
		]);
		const parent = json<{ task: TaskJson }>(gated).task.id;
		const child = json<{ task: TaskJson }>(
			await sparky([
				"agent",
				"tasks",
				"add",
				"what time is it",
				"--depends-on",
				parent,
				"--allow-duplicates",
				"--json",
			]),
		);
		expect(child.task.status).toBe("waiting");
		const watch = start(["agent", "tasks", "watch", child.task.id]);
		await watch.waitFor(/task_\S+ · what time is it/);
		expect((await sparky(["agent", "tasks", "cancel", child.task.id])).code).toBe(0);
		expect((await watch.result).code).toBe(1);
		// Tidy up (the long one may have finished meanwhile on a slow machine: then it is a conflict).
		expect((await sparky(["agent", "tasks", "cancel", parent])).code).toBe(0);
		expect([0, 6]).toContain((await sparky(["agent", "tasks", "cancel", json<{ task: TaskJson }>(dupe).task.id])).code);
	});

	it("delete needs -f without a terminal; clear deletes finished tasks", async () => {
		const added = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", "what time is it", "--allow-duplicates", "--json"]),
		);
		expect((await sparky(["agent", "tasks", "watch", added.task.id])).code).toBe(0);
		const refused = await sparky(["agent", "tasks", "delete", added.task.id]);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/pass -f/);
		const deleted = await sparky(["agent", "tasks", "delete", added.task.id, "-f", "--json"]);
		expect(json(deleted)).toEqual({ deleted: true, task_id: added.task.id });
		const gone = await sparky(["agent", "tasks", "get", added.task.id]);
		expect(gone.code).toBe(4);
		expect(gone.stderr).toMatch(/not found/);

		expect((await sparky(["agent", "tasks", "clear"])).code).toBe(2);
		const clearedAt = Date.now();
		const cleared = json<{ deleted: number }>(
			await sparky(["agent", "tasks", "clear", "-s", "cancelled", "--created-before", "2099-01-01", "-f", "--json"]),
		);
		expect(cleared.deleted).toBeGreaterThanOrEqual(0);
		const left = json<{ tasks: (TaskJson & { finished_at: number | null })[] }>(
			await sparky(["agent", "tasks", "list", "-s", "cancelled", "--json"]),
		);
		// Every task cancelled before the clear is gone. The files share the server (and the admin
		// sees everyone's tasks): another file's task cancelled meanwhile may be listed.
		expect(left.tasks.filter((t) => (t.finished_at ?? 0) < clearedAt)).toEqual([]);
	});

	it("checks arguments with the protocol's schemas before sending", async () => {
		const cases: [string[], RegExp][] = [
			[["agent", "tasks", "add", "x", "--max-attempts", "50"], /invalid task: --max-attempts: Too big/],
			[["agent", "tasks", "add", "x", "--chat", "not an id"], /invalid task: --chat: id: 1-128/],
			[["agent", "tasks", "add", "x", "-m", "novalue"], /expected key=value/],
			[["agent", "tasks", "list", "-l", "500"], /invalid option: --limit: Too big/],
			[["agent", "tasks", "list", "-s", "done"], /Allowed choices are waiting, queued/],
			[["agent", "tasks", "get", "no/such"], /invalid task id/],
			[["agent", "tasks", "clear", "--created-before", "someday", "-f"], /invalid --created-before/],
		];
		const runs = await Promise.all(cases.map(([args]) => sparky(args)));
		cases.forEach(([args, message], i) => {
			expect(runs[i]?.code, args.join(" ")).toBe(2);
			expect(runs[i]?.stderr, args.join(" ")).toMatch(message);
		});
	});
});
