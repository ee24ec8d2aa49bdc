import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addTaskTool, MAX_FOLLOW_UP_DEPTH } from "../../src/tools/add-task.ts";
import { currentTimeTool } from "../../src/tools/current-time.ts";
import { deleteFileTool } from "../../src/tools/delete-file.ts";
import { listFilesTool } from "../../src/tools/list-files.ts";
import { listTasksTool } from "../../src/tools/list-tasks.ts";
import { readFileTool } from "../../src/tools/read-file.ts";
import { ALL_TOOLS, buildToolSet } from "../../src/tools/registry.ts";
import { writeFileTool } from "../../src/tools/write-file.ts";
import { newUser } from "../support/api.ts";
import { queuedTask } from "../support/tasks.ts";
import { toolContext } from "../support/tool-context.ts";

describe("workspace tools", () => {
	it("a new workspace starts with a README, once", async () => {
		const user = await newUser();
		const ctx = toolContext(user.id);
		const listed = await listFilesTool.execute({}, ctx);
		expect(listed).toMatchObject({ count: 1, files: [{ path: "README.md" }] });
		await deleteFileTool.execute({ path: "README.md" }, ctx);
		expect(await listFilesTool.execute({}, ctx)).toMatchObject({ count: 0 });
	});

	it("writes, reads, appends, lists by folder and deletes", async () => {
		const user = await newUser();
		const ctx = toolContext(user.id);
		expect(await writeFileTool.execute({ path: "./notes/a.md", content: "one" }, ctx)).toEqual({
			path: "notes/a.md",
			size: 3,
			type: "text/markdown",
			created: true,
		});
		expect(await writeFileTool.execute({ path: "notes/a.md", content: "+two", append: true }, ctx)).toMatchObject({
			size: 7,
			created: false,
		});
		expect(await readFileTool.execute({ path: "/notes/a.md" }, ctx)).toMatchObject({
			content: "one+two",
			truncated: false,
		});
		expect(await listFilesTool.execute({ folder: "notes" }, ctx)).toMatchObject({
			count: 1,
			files: [{ path: "notes/a.md" }],
		});
		expect(await deleteFileTool.execute({ path: "notes/a.md" }, ctx)).toEqual({ path: "notes/a.md", deleted: true });
		expect(await readFileTool.execute({ path: "notes/a.md" }, ctx)).toMatchObject({
			error: expect.stringContaining("no file"),
		});
	});

	it("keeps each user's workspace to themselves", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		await writeFileTool.execute({ path: "secret.txt", content: "a's" }, toolContext(a.id));
		expect(await readFileTool.execute({ path: "secret.txt" }, toolContext(b.id))).toMatchObject({
			error: expect.any(String),
		});
	});

	it.each([["../../etc/passwd"], ["/../x"], ["a/../../b"]])("refuses to escape the workspace: %s", async (path) => {
		const user = await newUser();
		for (const tool of [readFileTool, deleteFileTool]) {
			expect(await tool.execute({ path }, toolContext(user.id))).toMatchObject({
				error: expect.stringContaining("escapes"),
			});
		}
		expect(await writeFileTool.execute({ path, content: "x" }, toolContext(user.id))).toMatchObject({
			error: expect.stringContaining("escapes"),
		});
	});
});

describe("task tools", () => {
	it("add_task queues a follow-up under the current task, depth-limited", async () => {
		const user = await newUser();
		const parent = await queuedTask(user.id);
		const result = (await addTaskTool.execute(
			{ instruction: "check again later" },
			toolContext(user.id, { taskId: parent.id, depth: 0 }),
		)) as { task_id: string; depth: number };
		expect(result.depth).toBe(1);
		const child = await env.DB.prepare("SELECT * FROM tasks WHERE id = ?").bind(result.task_id).first();
		expect(child).toMatchObject({ parent_task_id: parent.id, depth: 1, user_id: user.id });
		const deep = await addTaskTool.execute(
			{ instruction: "deeper" },
			toolContext(user.id, { taskId: parent.id, depth: MAX_FOLLOW_UP_DEPTH }),
		);
		expect(deep).toMatchObject({ error: expect.stringContaining("limited") });
	});

	it("add_task asked twice by a retried run queues one task", async () => {
		const user = await newUser();
		const parent = await queuedTask(user.id);
		const ctx = toolContext(user.id, { taskId: parent.id });
		const a = (await addTaskTool.execute({ instruction: "same follow-up" }, ctx)) as { task_id: string };
		const b = (await addTaskTool.execute({ instruction: "same follow-up" }, ctx)) as { task_id: string };
		expect(b.task_id).toBe(a.task_id);
	});

	it("list_tasks shows only the user's own tasks", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		const mine = await queuedTask(a.id, { instruction: "mine" });
		await queuedTask(b.id, { instruction: "theirs" });
		const listed = (await listTasksTool.execute({}, toolContext(a.id))) as { tasks: { id: string }[] };
		expect(listed.tasks.map((t) => t.id)).toEqual([mine.id]);
	});

	it("current_time answers in a zone, and refuses an unknown one as a value", async () => {
		const ctx = toolContext("agent", { now: () => Date.parse("2026-03-29T00:30:00Z") });
		expect(await currentTimeTool.execute({ timezone: "Europe/Paris" }, ctx)).toMatchObject({
			iso: "2026-03-29T00:30:00.000Z",
			timezone: "Europe/Paris",
			local: expect.stringContaining("29 March 2026"),
		});
		expect(await currentTimeTool.execute({ timezone: "Mars/Olympus" }, ctx)).toMatchObject({
			error: expect.stringContaining("unknown time zone"),
		});
	});
});

describe("the registry", () => {
	it("has one uniquely named tool per file, each with a zod schema the SDK sees", () => {
		const names = ALL_TOOLS.map((t) => t.name);
		expect(new Set(names).size).toBe(names.length);
		expect(names.sort()).toEqual(
			[
				"add_task",
				"current_time",
				"delete_file",
				"forget",
				"http_fetch",
				"list_files",
				"list_tasks",
				"read_attachment",
				"read_file",
				"recall",
				"remember",
				"save_to_workspace",
				"write_file",
			].sort(),
		);
		const set = buildToolSet(toolContext("agent"));
		expect(Object.keys(set).sort()).toEqual(names.sort());
	});

	it("turns an unexpected exception inside a tool into a value for the model", async () => {
		const exploding = {
			name: "explode",
			description: "x",
			input: listFilesTool.input,
			idempotent: true,
			execute: async () => {
				throw new Error("kaboom");
			},
		};
		const set = buildToolSet(toolContext("agent"), [exploding]);
		const execute = set.explode?.execute as (input: unknown, options: unknown) => Promise<unknown>;
		expect(await execute({}, { toolCallId: "c", messages: [] })).toEqual({ error: "explode failed: kaboom" });
	});
});
