// `sparky agent schedule …`: add, list, show, disable/enable, run (and follow the run), delete.
import { describe, expect, it } from "vitest";
import { json, newUser, sparky } from "./support/cli.ts";

interface ScheduleJson {
	name: string;
	every: string | null;
	cron: string | null;
	timezone: string;
	enabled: boolean;
	next_run_at: number | null;
	metadata: Record<string, unknown> | null;
}

describe("sparky agent schedule", () => {
	it("add, list, show, disable, enable, run, delete", async () => {
		const { env } = await newUser("sched");
		const add = await sparky(
			["agent", "schedule", "add", "tick", "what", "time", "is", "it", "--every", "30m", "-m", "k=v"],
			{
				env,
			},
		);
		expect(add.code, add.stderr).toBe(0);
		expect(add.stdout).toMatch(/Created schedule tick: every 30m, next run in \d+/);

		const cron = json<{ schedule: ScheduleJson }>(
			await sparky(
				[
					"agent",
					"schedule",
					"add",
					"standup",
					"List my tasks",
					"--cron",
					"0 9 * * 1-5",
					"--timezone",
					"Europe/Paris",
					"--json",
				],
				{ env },
			),
		);
		expect(cron.schedule).toMatchObject({ cron: "0 9 * * 1-5", timezone: "Europe/Paris", enabled: true });

		const list = json<{ schedules: ScheduleJson[] }>(await sparky(["agent", "schedule", "list", "--json"], { env }));
		expect(list.schedules.map((s) => s.name).sort()).toEqual(["standup", "tick"]);
		expect(list.schedules.find((s) => s.name === "tick")).toMatchObject({ every: "30m", metadata: { k: "v" } });
		const table = await sparky(["agent", "schedule", "list"], { env });
		expect(table.stdout).toMatch(/^NAME\s+WHEN\s+ENABLED/m);
		expect(table.stdout).toMatch(/^standup\s+cron "0 9 \* \* 1-5" Europe\/Paris\s+on/m);

		const show = await sparky(["agent", "schedule", "show", "tick"], { env });
		expect(show.stdout).toMatch(/when\s+every 30m/);

		const disabled = json<{ schedule: ScheduleJson }>(
			await sparky(["agent", "schedule", "disable", "tick", "--json"], { env }),
		);
		expect(disabled.schedule).toMatchObject({ enabled: false, next_run_at: null });
		const enabled = await sparky(["agent", "schedule", "enable", "tick"], { env });
		expect(enabled.stdout).toMatch(/Enabled tick: next run in/);

		const run = await sparky(["agent", "schedule", "run", "tick", "--watch"], { env });
		expect(run.code, run.stderr).toBe(0);
		expect(run.stdout).toMatch(/Started task_\S+ from schedule tick/);
		expect(run.stdout).toMatch(/⚙ current_time/);
		expect(run.stdout).toMatch(/✔ task_\S+ succeeded/);

		const ran = json<{ task: { id: string; schedule_name: string } }>(
			await sparky(["agent", "schedule", "run", "tick", "--json"], { env }),
		);
		expect(ran.task.schedule_name).toBe("tick");

		expect((await sparky(["agent", "schedule", "delete", "tick"], { env })).stdout).toMatch(/Deleted schedule tick/);
		expect(json(await sparky(["agent", "schedule", "delete", "standup", "--json"], { env }))).toEqual({
			deleted: true,
			name: "standup",
		});
		expect(
			json<{ schedules: unknown[] }>(await sparky(["agent", "schedule", "list", "--json"], { env })).schedules,
		).toEqual([]);
		const missing = await sparky(["agent", "schedule", "show", "tick"], { env });
		expect(missing.code).toBe(4);
		expect(missing.stderr).toMatch(/schedule "tick" not found/);
	});

	it("refuses bad timing before sending", async () => {
		const cases: [string[], RegExp][] = [
			[["agent", "schedule", "add", "x", "hi"], /exactly one of --every .* or --cron/],
			[["agent", "schedule", "add", "x", "hi", "--every", "30m", "--cron", "* * * * *"], /exactly one of/],
			[["agent", "schedule", "add", "x", "hi", "--every", "10s"], /at least 1m/],
			[["agent", "schedule", "add", "x", "hi", "--cron", "0 9 * *"], /five fields/],
			[["agent", "schedule", "add", "x", "hi", "--cron", "0 25 * * *"], /hour/],
			[["agent", "schedule", "add", "x", "hi", "--cron", "0 9 * * *", "--timezone", "Mars/Base"], /unknown time zone/],
			[["agent", "schedule", "add", "bad name", "hi", "--every", "1h"], /invalid schedule: name/],
		];
		const runs = await Promise.all(cases.map(([args]) => sparky(args)));
		cases.forEach(([args, message], i) => {
			expect(runs[i]?.code, args.join(" ")).toBe(2);
			expect(runs[i]?.stderr, args.join(" ")).toMatch(message);
		});
	});
});
