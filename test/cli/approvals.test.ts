// `sparky agent tasks approve|deny`, `watch` on a paused task and `add --approve`, against a real wrangler dev.
import { describe, expect, it } from "vitest";
import { json, newUser, sparky, start, untilTaskStatus } from "./support/cli.ts";

interface ApprovalJson {
	id: string;
	task_id: string;
	tool: string;
	input: unknown;
	status: string;
	decided_by: string | null;
	reason: string | null;
}
interface TaskJson {
	id: string;
	status: string;
	result: string | null;
	approvals?: ApprovalJson[];
}

describe("sparky agent tasks approve / deny", () => {
	it("watch shows what waits and how to decide; approve runs the tool; a second decision exits 6", async () => {
		const user = await newUser("approve");
		const { env } = user;
		const added = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", "Delete README.md", "--json"], { env }),
		);
		const id = added.task.id;
		const watch = start(["agent", "tasks", "watch", id], { env, timeoutMs: 90_000 });
		await watch.waitFor(/deny: {4}sparky agent tasks deny task_\S+ apr_\S+ --reason/, 60_000);
		const shown = watch.output();
		expect(shown).toMatch(/⏸ waiting for approval: delete_file \{"path":"README\.md"\}/);
		expect(shown).toMatch(/approval apr_\S+ · expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
		const approvalId = /approve: sparky agent tasks approve (\S+) (apr_\S+)/.exec(shown)?.slice(1) ?? [];
		expect(approvalId[0]).toBe(id);

		// `tasks get` lists it, with the commands.
		const get = await sparky(["agent", "tasks", "get", id], { env });
		expect(get.stdout).toMatch(/awaiting_approval/);
		expect(get.stdout).toMatch(new RegExp(`${approvalId[1]}\\s+delete_file .*pending, expires`));

		// No approval id: the task's only pending one.
		const approve = await sparky(["agent", "tasks", "approve", id], { env });
		expect(approve.code, approve.stderr).toBe(0);
		expect(approve.stdout).toMatch(new RegExp(`✔ Approved ${approvalId[1]}: delete_file \\{"path":"README\\.md"\\}`));

		const watched = await watch.result;
		expect(watched.code, watched.stdout + watched.stderr).toBe(0);
		expect(watched.stdout).toMatch(new RegExp(`✔ delete_file approved by ${user.id}`));
		expect(watched.stdout).toMatch(/Deleted \*\*README\.md\*\*/);
		expect(watched.stdout).toMatch(new RegExp(`✔ ${id} succeeded`));
		// In time order (issue #27): the decision, back in the queue, then the second run.
		const lines = watched.stdout.split("\n");
		const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
		const approvedAt = at(/✔ delete_file approved by/);
		const queuedAgain = lines.findIndex((line, i) => i > approvedAt && /… queued/.test(line));
		expect(approvedAt, watched.stdout).toBeGreaterThan(-1);
		expect(queuedAgain, watched.stdout).toBeGreaterThan(approvedAt);
		expect(at(/▶ run 2 started/), watched.stdout).toBeGreaterThan(queuedAgain);

		// Deciding again: a conflict (exit 6), named or not.
		const again = await sparky(["agent", "tasks", "deny", id, approvalId[1] as string], { env });
		expect(again.code).toBe(6);
		expect(again.stderr).toMatch(/already decided/);
		const none = await sparky(["agent", "tasks", "approve", id, "--json"], { env });
		expect(none.code).toBe(6);
		expect(json<{ error: { code: string } }>(none).error.code).toBe("no_pending_approval");
	});

	it("add --watch: a denied step reads `succeeded · 1 step failed`, and the answer says what it couldn't do (issue #27)", async () => {
		const user = await newUser("denied");
		const { env } = user;
		const watch = start(["agent", "tasks", "add", "Delete README.md", "--watch"], { env, timeoutMs: 90_000 });
		await watch.waitFor(/deny: {4}sparky agent tasks deny task_\S+ apr_\S+ --reason/, 60_000);
		const [id, approvalId] =
			/deny: {4}sparky agent tasks deny (task_\S+) (apr_\S+)/.exec(watch.output())?.slice(1) ?? [];
		const deny = await sparky(["agent", "tasks", "deny", id as string, approvalId as string, "--reason", "keep it"], {
			env,
		});
		expect(deny.code, deny.stderr).toBe(0);
		const watched = await watch.result;
		expect(watched.code, watched.stdout + watched.stderr).toBe(0);
		expect(watched.stdout).toMatch(/I couldn't do what you asked: the step failed \(delete_file\)\./);
		expect(watched.stdout).toMatch(new RegExp(`✔ ${id} succeeded · 1 step failed`));
		const list = await sparky(["agent", "tasks", "list"], { env });
		expect(list.stdout).toMatch(/succeeded · 1 step failed/);
		const got = json<{ task: { tool_failures: number; result: string } }>(
			await sparky(["agent", "tasks", "get", id as string, "--json"], { env }),
		);
		expect(got.task.tool_failures).toBe(1);
		expect(got.task.result).not.toMatch(/AI_[A-Za-z]+Error/);
	});

	it("--approve asks about more tools; deny --reason --json tells the agent; bad input exits 2, unknown ids 4", async () => {
		const { env, id: userId } = await newUser("deny");
		const added = json<{ task: TaskJson }>(
			await sparky(
				["agent", "tasks", "add", "Write notes.md with: hello", "--approve", "write_file,read_file", "--json"],
				{
					env,
				},
			),
		);
		const id = added.task.id;
		const paused = await untilTaskStatus<TaskJson>(env, id, "awaiting_approval");
		const pending = paused.approvals?.find((a) => a.status === "pending");
		expect(pending).toMatchObject({ tool: "write_file", input: { path: "notes.md" } });

		expect((await sparky(["agent", "tasks", "add", "x", "--approve", "rm -rf"], { env })).code).toBe(2);
		expect((await sparky(["agent", "tasks", "deny", id, "not an id!"], { env })).code).toBe(2);
		expect((await sparky(["agent", "tasks", "deny", id, "--reason", " "], { env })).code).toBe(2);
		expect((await sparky(["agent", "tasks", "deny", id, "apr_nope"], { env })).code).toBe(4);
		// Someone else's task is not found.
		const stranger = await newUser("stranger");
		expect((await sparky(["agent", "tasks", "approve", id, pending?.id as string], { env: stranger.env })).code).toBe(
			4,
		);

		const denied = await sparky(
			["agent", "tasks", "deny", id, pending?.id as string, "--reason", "not now", "--json"],
			{
				env,
			},
		);
		expect(denied.code, denied.stderr).toBe(0);
		expect(json<{ approval: ApprovalJson }>(denied).approval).toMatchObject({
			id: pending?.id,
			status: "denied",
			decided_by: userId,
			reason: "not now",
		});
		const done = await untilTaskStatus<TaskJson>(env, id, "succeeded");
		expect(done.result).toContain(`denied by ${userId}: not now`);
		expect(done.approvals?.[0]).toMatchObject({ status: "denied", reason: "not now" });
	});
});
