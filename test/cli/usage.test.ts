// What runs cost, in the terminal (issue #26): `sparky usage`, `sparky budget` (and `budget set`
// for admins), costs where `tasks watch` / `get` show tokens, budget approvals decided with
// `tasks approve|deny`, `--max-cost` on a task and a chat, and a spent day budget in words.
// Global setup gives the demo model a price (SPARKY_MODEL_PRICES), so the figures are not $0.
import { describe, expect, it } from "vitest";
import { formatUsd } from "../../src/client/money.ts";
import { json, newUser, sparky, start, untilTaskStatus } from "./support/cli.ts";

interface Usage {
	input_tokens: number;
	output_tokens: number;
	total_tokens: number;
	cost_usd?: number | null;
}
interface TaskJson {
	id: string;
	status: string;
	error: string | null;
	usage: Usage;
	approvals?: { id: string; kind?: string; status: string; input: unknown }[];
}
interface Row {
	key: string;
	label?: string;
	runs: number;
	calls: number;
	input_tokens: number;
	output_tokens: number;
	cost_usd: number | null;
}
interface Report {
	by: string;
	since: number;
	until: number;
	rows: Row[];
	total: Omit<Row, "key" | "label"> & { unpriced_calls: number };
}
interface Budget {
	user_id: string;
	day: { cap_usd: number | null; spent_usd: number; resets_at: number; source: string };
	month: { cap_usd: number | null; spent_usd: number; resets_at: number; source: string };
}

const literal = (s: string) => s.replace(/[$.()?*+[\]]/g, "\\$&");

describe("sparky usage / budget", () => {
	it("watch prints each model call's tokens and cost and the task's total; get says it too; usage adds it up", async () => {
		const user = await newUser("usage");
		const { env } = user;
		const run = await sparky(["agent", "tasks", "add", "What time is it?", "--watch"], { env });
		expect(run.code, run.stdout + run.stderr).toBe(0);
		const id = /^(task_\S+)/m.exec(run.stdout)?.[1] ?? "";
		const task = json<{ task: TaskJson }>(await sparky(["agent", "tasks", "get", id, "--json"], { env })).task;
		expect(task.usage.cost_usd).toBeGreaterThan(0);
		const calls = [
			...run.stdout.matchAll(/^ {2}\$ model call (\d+) · ([\d,]+) tokens \([\d,]+ in, [\d,]+ out\) · (\S+)/gm),
		];
		expect(calls.map((m) => m[1])).toEqual(["1", "2"]);
		const total = formatUsd(task.usage.cost_usd);
		expect(run.stdout).toMatch(new RegExp(`✔ ${id} succeeded in \\S+ · ${literal(total)}$`, "m"));
		// The calls add up to the task.
		const summed = calls.reduce((n, m) => n + Number(m[2]?.replace(/,/g, "")), 0);
		expect(summed).toBe(task.usage.total_tokens);

		const get = await sparky(["agent", "tasks", "get", id], { env });
		expect(get.stdout).toMatch(new RegExp(`^cost\\s+${literal(total)}$`, "m"));
		expect(get.stdout).toMatch(/^tokens\s+[\d,]+ tokens \([\d,]+ in, [\d,]+ out\)$/m);

		// By model, as JSON: the API's answer; as a table: the same figures, and a total.
		const report = json<Report>(await sparky(["usage", "--by", "model", "--since", "1d", "--json"], { env }));
		expect(report.by).toBe("model");
		expect(report.rows.map((r) => r.key)).toEqual(["demo"]);
		expect(report.total).toMatchObject({ runs: 1, calls: 2, unpriced_calls: 0 });
		expect(report.total.cost_usd).toBeCloseTo(task.usage.cost_usd ?? -1, 8);
		const table = await sparky(["usage", "--by", "model", "--since", "1d"], { env });
		expect(table.code, table.stderr).toBe(0);
		expect(table.stdout).toMatch(/^MODEL\s+RUNS\s+CALLS\s+INPUT\s+OUTPUT\s+COST$/m);
		expect(table.stdout).toMatch(new RegExp(`^demo\\s+1\\s+2\\s+[\\d,]+\\s+[\\d,]+\\s+${literal(total)}$`, "m"));
		expect(table.stdout).toMatch(new RegExp(`^total\\s+1\\s+2\\s+[\\d,]+\\s+[\\d,]+\\s+${literal(total)}$`, "m"));

		// By task: the task and its instruction.
		const byTask = await sparky(["usage", "--by", "task"], { env });
		expect(byTask.stdout).toMatch(new RegExp(`^${id}\\s+1\\s+2\\s+.*${literal(total)}\\s+What time is it\\?$`, "m"));
		// By day (the default): today's row (UTC).
		const byDay = json<Report>(await sparky(["usage", "--json"], { env }));
		expect(byDay.rows.map((r) => r.key)).toEqual([new Date().toISOString().slice(0, 10)]);

		// Nothing before a date in the future's past: an empty report says so.
		const none = await sparky(["usage", "--until", "2020-01-02", "--since", "2020-01-01"], { env });
		expect(none.stdout).toMatch(/No model calls in that time\./);
		const bad = await sparky(["usage", "--since", "last week"], { env });
		expect(bad.code).toBe(2);
		expect(bad.stderr).toMatch(/invalid --since "last week"/);

		// Their budget: no caps on this server, what they spent today.
		const budget = await sparky(["budget"], { env });
		expect(budget.stdout).toMatch(new RegExp(`^today\\s+${literal(total)} spent · no cap · resets `, "m"));
		expect(budget.stdout).toMatch(/^each task\s+no budget unless it is given one \(--max-cost\)$/m);
	});

	it("a budget approval: watch asks in money, approve allows more and the task goes on", async () => {
		const { env, id: userId } = await newUser("budget");
		const bad = await sparky(["agent", "tasks", "add", "What time is it?", "--max-cost", "0"], { env });
		expect(bad.code).toBe(2);
		expect(bad.stderr).toMatch(/--max-cost/);
		expect((await sparky(["agent", "tasks", "add", "x", "--max-cost", "lots"], { env })).code).toBe(2);

		// The first call's estimate is 500 output tokens: $0.50 at the test price, over $0.30.
		const watch = start(["agent", "tasks", "add", "What time is it?", "--max-cost", "0.30", "--watch"], {
			env,
			timeoutMs: 90_000,
		});
		await watch.waitFor(/stop: {2}sparky agent tasks deny task_\S+ apr_\S+/, 60_000);
		expect(watch.output()).toMatch(/⏸ budget reached: Spent \$0\.00 of \$0\.30\. Allow \$0\.30 more\?/);
		const [, id = "", approvalId = ""] = /allow: sparky agent tasks approve (\S+) (apr_\S+)/.exec(watch.output()) ?? [];

		const get = await sparky(["agent", "tasks", "get", id], { env });
		expect(get.stdout).toMatch(
			new RegExp(
				`${approvalId}\\s+budget: Spent \\$0\\.00 of \\$0\\.30\\. Allow \\$0\\.30 more\\?\\s+pending, expires`,
			),
		);
		const approve = await sparky(["agent", "tasks", "approve", id], { env });
		expect(approve.code, approve.stderr).toBe(0);
		expect(approve.stdout).toMatch(new RegExp(`✔ Allowed \\$0\\.30 more for ${id} \\(${approvalId}\\)`));

		const watched = await watch.result;
		expect(watched.code, watched.stdout + watched.stderr).toBe(0);
		expect(watched.stdout).toMatch(new RegExp(`✔ allowed \\$0\\.30 more by ${userId}`));
		expect(watched.stdout).toMatch(/\$ model call 1 · /);
		const done = await untilTaskStatus<TaskJson>(env, id, "succeeded");
		expect(done.approvals?.[0]).toMatchObject({ id: approvalId, kind: "budget", status: "approved" });
		const listed = await sparky(["agent", "tasks", "get", id], { env });
		expect(listed.stdout).toMatch(new RegExp(`${approvalId}\\s+budget: .*allowed by ${userId}`));
	});

	it("a budget approval denied: the task stops, saying why", async () => {
		const { env } = await newUser("budget");
		const added = json<{ task: TaskJson }>(
			await sparky(["agent", "tasks", "add", "What time is it?", "--max-cost", "0.3", "--json"], { env }),
		);
		await untilTaskStatus<TaskJson>(env, added.task.id, "awaiting_approval");
		const deny = await sparky(["agent", "tasks", "deny", added.task.id], { env });
		expect(deny.code, deny.stderr).toBe(0);
		expect(deny.stdout).toMatch(new RegExp(`✖ Stopped ${added.task.id}: no more spending`));
		const failed = await untilTaskStatus<TaskJson>(env, added.task.id, "failed");
		expect(failed.error).toMatch(/^stopped: the task spent \$0\.00 of its budget of \$0\.30/);
	});

	it("budget set (admins): past a day cap a task is refused in words, exit 6; `none` is the default again", async () => {
		const user = await newUser("capped");
		const { env } = user;
		const first = await sparky(["agent", "tasks", "add", "What time is it?", "--watch"], { env });
		expect(first.code).toBe(0);

		// Only an admin sets caps; a missing value is a usage error.
		expect((await sparky(["budget", "set", user.id, "--day", "1"], { env })).code).toBe(3);
		expect((await sparky(["budget", "set", user.id])).code).toBe(2);
		const set = json<Budget>(await sparky(["budget", "set", user.id, "--day", "0.01", "--json"]));
		expect(set.day).toMatchObject({ cap_usd: 0.01, source: "user" });
		const shown = await sparky(["budget", "show", user.id]);
		expect(shown.stdout).toMatch(
			new RegExp(
				`^today\\s+\\S+ of \\$0\\.01 \\(set for ${user.id}\\) · spent: nothing more runs until it resets`,
				"m",
			),
		);

		const refused = await sparky(["agent", "tasks", "add", "What time is it?"], { env });
		expect(refused.code).toBe(6);
		expect(refused.stderr).toMatch(
			/^error: You have spent \$\S+ of your \$0\.01 daily budget\. It resets at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.$/m,
		);
		expect(refused.stderr).toMatch(/hint: `sparky budget` shows where you stand/);
		const asJson = await sparky(["agent", "tasks", "add", "What time is it?", "--json"], { env });
		expect(
			json<{ error: { code: string; exit_code: number; details: { period: string } } }>(asJson).error,
		).toMatchObject({ code: "budget_exceeded", exit_code: 6, details: { period: "day", cap_usd: 0.01 } });

		const back = json<Budget>(await sparky(["budget", "set", user.id, "--day", "none", "--json"]));
		expect(back.day.source).not.toBe("user");
		expect(back.day.cap_usd).toBeNull();
		const again = await sparky(["agent", "tasks", "add", "What time is it?", "--json"], { env });
		expect(again.code, again.stderr).toBe(0);
	});

	it("chat --max-cost: the answer pauses at its budget; allowed, it comes; a spent day budget refuses the message", async () => {
		const user = await newUser("chatbudget");
		const { env } = user;
		expect((await sparky(["chat", "hi", "--max-cost", "-1"], { env })).code).toBe(2);
		const chat = start(["chat", "What time is it?", "--max-cost", "0.3"], { env, timeoutMs: 90_000 });
		await chat.waitFor(/stop: {2}sparky agent tasks deny turn_\S+ apr_\S+/, 60_000);
		expect(chat.output()).toMatch(/⏸ budget reached: Spent \$0\.00 of \$0\.30\. Allow \$0\.30 more\?/);
		const [, turn = "", approval = ""] =
			/allow: sparky agent tasks approve (turn_\S+) (apr_\S+)/.exec(chat.output()) ?? [];
		const approve = await sparky(["agent", "tasks", "approve", turn, approval], { env });
		expect(approve.code, approve.stderr).toBe(0);
		const answered = await chat.result;
		expect(answered.code, answered.stdout + answered.stderr).toBe(0);
		expect(answered.stdout).toMatch(/sparky › It is /);
		// The run's line says what it cost, before its tokens.
		expect(answered.stdout).toMatch(/· \$\d+\.\d+ · \d+ → \d+ tokens$/m);

		json(await sparky(["budget", "set", user.id, "--day", "0.001", "--json"]));
		const refused = await sparky(["chat", "What time is it?"], { env });
		expect(refused.code).toBe(6);
		expect(refused.stdout + refused.stderr).toMatch(
			/You have spent \$\S+ of your \$0\.001 daily budget\. It resets at /,
		);
	});
});
