// `sparky agent top`: the agent's live board in a pseudo-terminal and as JSON lines, against a
// real wrangler dev (test/cli/support); the screen's layout from a real Board, without one.
import { describe, expect, it } from "vitest";
import { renderScreen } from "../../cli/top-render.ts";
import { Board } from "../../src/client/board.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";
import {
	BIN,
	cliEnv,
	json,
	NODE,
	newToken,
	newUser,
	server,
	slowInstruction,
	sparky,
	start,
	taskStatus,
	which,
} from "./support/cli.ts";

interface TaskJson {
	id: string;
	status: string;
}

/** A token of the `agent` user (made with the admin token, over HTTP: set-up), and its environment. */
async function agentEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
	const token = await newToken("agent", `top-${Math.random().toString(36).slice(2, 8)}`);
	return cliEnv({ SPARKY_URL: server().url, SPARKY_TOKEN: token, ...extra });
}

async function addTask(env: NodeJS.ProcessEnv, instruction: string): Promise<string> {
	const added = await sparky(["agent", "tasks", "add", instruction, "--json"], { env });
	expect(added.code, added.stderr).toBe(0);
	return json<{ task: TaskJson }>(added).task.id;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const script = which("script");
const ALT_ON = "\x1b[?1049h";
const ALT_OFF = "\x1b[?1049l";
const CURSOR_SHOWN = "\x1b[?25h";

describe.skipIf(!script)("sparky agent top in a pseudo-terminal", () => {
	it("signed in as agent: another user's task shows with its current tool, then its outcome; an approval waits on top; q exits 0 and restores the screen", async () => {
		const bob = await newUser("top-bob");
		const env = await agentEnv({ TERM: "xterm" });
		const command = `stty cols 160 rows 40; ${[NODE, BIN, "agent", "top"].map(quote).join(" ")}`;
		const top = start([], {
			env,
			command: [script ?? "", ["-q", "-e", "-c", command, "/dev/null"]],
			timeoutMs: 100_000,
		});
		await top.waitFor(/sparky top · agent @ \S+ · live · /, 30_000);
		const started = Date.now();
		expect(top.output()).toContain(ALT_ON);

		const slow = await addTask(bob.env, slowInstruction("top"));
		const approval = await addTask(bob.env, "Delete README.md");
		const row = (id: string, rest: string) => new RegExp(`${id}\\s+${bob.id}\\s+${rest}`);
		// Running, calling http_fetch (the slow page takes 8 s) and for how long.
		await top.waitFor(row(slow, "running\\s+http_fetch \\d+(ms|s)\\s+1\\s+1\\s+"), 40_000);
		// The approval waits on top, with who decides.
		await top.waitFor(
			new RegExp(
				`WAITING FOR APPROVAL \\(\\d+\\)[^]*?${approval}\\s+${bob.id}\\s+approval\\s+delete_file\\? ${bob.id} decides`,
			),
			40_000,
		);
		// Then its outcome, among the recently ended, with how long it ran.
		await top.waitFor(
			new RegExp(`RECENTLY ENDED \\(\\d+\\)[^]*?${slow}\\s+${bob.id}\\s+succeeded\\s+\\d*\\s+1\\s+\\d+s`),
			40_000,
		);
		const before = top.output().length;
		// Redrawn in place, a few times a second at most however many events arrive (one draw: cursor home).
		const draws = top.output().split("\x1b[H").length - 1;
		const seconds = (Date.now() - started) / 1000;
		expect(draws).toBeGreaterThan(seconds / 2);
		expect(draws).toBeLessThanOrEqual(seconds * 4 + 6);

		top.child.stdin?.write("q");
		const result = await top.result;
		expect(result.code, top.output()).toBe(0);
		// The shell's screen comes back (alternate buffer left), the cursor shown, after the last draw.
		const tail = top.output().slice(before);
		expect(tail).toContain(ALT_OFF);
		expect(tail).toContain(CURSOR_SHOWN);
		expect(top.output().lastIndexOf(ALT_OFF)).toBeGreaterThan(top.output().lastIndexOf("\x1b[H"));

		const cancelled = await sparky(["agent", "tasks", "cancel", approval], { env: bob.env });
		expect(cancelled.code, cancelled.stderr).toBe(0);
	});

	it("Ctrl+C quits with 130 and restores the screen too", async () => {
		const env = await agentEnv({ TERM: "xterm" });
		const command = [NODE, BIN, "agent", "top"].map(quote).join(" ");
		const top = start([], { env, command: [script ?? "", ["-q", "-e", "-c", command, "/dev/null"]] });
		await top.waitFor(/· live ·/, 30_000);
		top.child.stdin?.write("\x03");
		const result = await top.result;
		expect(result.code, top.output()).toBe(130);
		expect(top.output().slice(top.output().lastIndexOf("\x1b[H"))).toContain(ALT_OFF);
	});
});

describe("sparky agent top --json and without a terminal", () => {
	it("--json: a snapshot line, then change lines for the task's start, tool and end; --user filters", async () => {
		const bob = await newUser("top-json");
		const other = await newUser("top-other");
		const env = await agentEnv();
		const top = start(["agent", "top", "--json", "--user", bob.id], { env, timeoutMs: 100_000 });
		await top.waitFor(/"type":"snapshot"/, 30_000);
		const id = await addTask(bob.env, slowInstruction("json"));
		const hidden = await addTask(other.env, "what time is it");
		await top.waitFor(new RegExp(`"id":"${id}"[^\\n]*"status":"succeeded"`), 60_000);
		top.child.kill("SIGINT");
		const result = await top.result;
		expect(result.code, result.stderr).toBe(130);
		expect(result.stderr).toBe("");
		// No screen handling: nothing but JSON lines.
		expect(result.stdout).not.toContain("\x1b[");
		const lines = result.stdout
			.trim()
			.split("\n")
			.map(
				(l) =>
					JSON.parse(l) as {
						type: string;
						event?: string;
						task?: { id: string; user_id: string; status: string; tool: { name: string } | null };
					},
			);
		expect(lines[0]?.type).toBe("snapshot");
		const mine = lines.filter((l) => l.type === "task" && l.task?.id === id);
		const statuses = mine.map((l) => l.task?.status);
		expect(statuses).toContain("running");
		expect(statuses.at(-1)).toBe("succeeded");
		expect(statuses.indexOf("running")).toBeLessThan(statuses.indexOf("succeeded"));
		expect(mine.some((l) => l.event === "TOOL_CALL_START" && l.task?.tool?.name === "http_fetch")).toBe(true);
		expect(mine.find((l) => l.event === "RUN_STARTED")).toBeDefined();
		// --user: only bob's tasks.
		expect(lines.filter((l) => l.type === "task").every((l) => l.task?.user_id === bob.id)).toBe(true);
		expect(result.stdout).not.toContain(hidden);
	});

	it("without a terminal: the board once; a bad --status is a usage error", async () => {
		const bob = await newUser("top-once");
		const id = await addTask(bob.env, slowInstruction("once"));
		const env = await agentEnv();
		// Once it runs, the one-shot board shows it under RUNNING.
		const deadline = Date.now() + 40_000;
		// Running by the API first (a cheap look); then the board, until it shows it.
		while (Date.now() < deadline && (await taskStatus(bob.env, id)) !== "running")
			await new Promise((r) => setTimeout(r, 100));
		let shown = "";
		while (Date.now() < deadline) {
			const once = await sparky(["agent", "top", "--user", bob.id], { env });
			expect(once.code, once.stderr).toBe(0);
			shown = once.stdout;
			if (/RUNNING \(1\)/.test(shown)) break;
			await new Promise((r) => setTimeout(r, 500));
		}
		expect(shown).toMatch(/sparky top · agent @ \S+ · snapshot/);
		expect(shown).toMatch(new RegExp(`RUNNING \\(1\\)\\n${id}\\s+${bob.id}\\s+running`));
		expect(shown).not.toContain("\x1b[");
		// Bob sees his own task; the board is his.
		const own = await sparky(["agent", "top"], { env: bob.env });
		expect(own.stdout).toMatch(new RegExp(`sparky top · ${bob.id} @`));
		expect(own.stdout).toContain(id);

		const bad = await sparky(["agent", "top", "--status", "sleeping"], { env });
		expect(bad.code).toBe(2);
		expect(bad.stderr).toMatch(/--status: one of waiting, queued, running/);
		await sparky(["agent", "tasks", "cancel", id], { env: bob.env });
	});
});

describe("the screen (pure)", () => {
	let seq = 0;
	const event = (e: Record<string, unknown>): ClientEvent =>
		({ seq: ++seq, id: `e${seq}`, ts: 1_000_000 + seq * 1000, ...e }) as unknown as ClientEvent;
	const status = (task: string, s: string, extra: Record<string, unknown> = {}) =>
		event({
			type: "CUSTOM",
			name: "sparky.task.status",
			task_id: task,
			value: {
				task_id: task,
				status: s,
				attempt: 1,
				user_id: "bob",
				instruction: "Fetch the weather in Paris and then summarise it at length please",
				...extra,
			},
		});
	const plain = {
		bold: String,
		dim: String,
		cyan: String,
		magenta: String,
		red: String,
		yellow: String,
		green: String,
	} as unknown as Parameters<typeof renderScreen>[1]["c"];

	function board(): Board {
		const b = new Board();
		b.apply(status("task_a", "running"));
		b.apply(event({ type: "RUN_STARTED", task_id: "task_a", attempt: 1, threadId: "t", runId: "r" }));
		b.apply(
			event({ type: "TOOL_CALL_START", task_id: "task_a", attempt: 1, toolCallId: "c1", toolCallName: "http_fetch" }),
		);
		for (let i = 0; i < 30; i++) b.apply(status(`task_q${i}`, "queued", { attempt: 0 }));
		b.apply(status("task_done", "running"));
		b.apply(status("task_done", "failed", { error: "boom" }));
		return b;
	}
	const info = (width: number, height: number) => ({
		user: "agent",
		url: "http://x",
		link: "live",
		filters: "",
		now: 1_000_000 + 200_000,
		width,
		height,
		c: plain,
	});

	it("rows show the tool and for how long; nothing wider or taller than the terminal; cut sections say how many more", () => {
		const lines = renderScreen(board().view(1_200_000), info(80, 20));
		expect(lines.length).toBeLessThanOrEqual(20);
		for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
		expect(lines[1]).toBe("running 1 · queued 30 · waiting 0 · approval 0 · failed (last hour) 1");
		const row = lines.find((l) => l.startsWith("task_a "));
		expect(row).toMatch(/^task_a\s+bob\s+running\s+http_fetch 3m 17s\s+1\s+1\s+3m 19s\s+Fetch the /);
		expect(row?.endsWith("…")).toBe(true);
		expect(lines.some((l) => /^… \d+ more$/.test(l))).toBe(true);
		// The ended task keeps its line at the bottom, with its error.
		expect(lines.at(-2)).toBe("RECENTLY ENDED (1)");
		expect(lines.at(-1)).toMatch(/^task_done\s+bob\s+failed\s+boom/);
	});

	it("a filter leaves only what matches; an empty board says so", () => {
		const lines = renderScreen(board().view(1_200_000, { tool: "http_fetch" }), info(120, 40));
		expect(lines.filter((l) => l.startsWith("task_"))).toHaveLength(1);
		const empty = renderScreen(new Board().view(0), info(120, 40));
		expect(empty.at(-1)).toMatch(/nothing to show/);
	});
});
