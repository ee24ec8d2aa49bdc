import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";
import { TrackedSocket } from "./support/tracked-socket.ts";

type TaskView = {
	id: string;
	status: string;
	attempts: number;
	result: string | null;
	error: string | null;
	approvals?: { id: string; status: string; tool: string }[];
};
type Event = { type: string; attempt?: number; code?: string; task_id?: string };
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

let deployment: Deployment | undefined;
let effects: Server | undefined;
afterEach(async () => {
	await deployment?.dispose();
	deployment = undefined;
	await new Promise((resolve) => (effects ? effects.close(resolve) : resolve(undefined)));
	effects = undefined;
});

/** A local HTTP server whose /charge counts every hit: a side effect the suite can count. */
async function effectServer(): Promise<{ url: string; hits: () => number }> {
	let hits = 0;
	effects = createServer((req, res) => {
		if (req.url?.startsWith("/charge")) hits++;
		res.writeHead(200, { "Content-Type": "text/html" }).end("<title>Charged</title><p>charged once</p>");
	});
	await new Promise<void>((resolve) => effects?.listen(0, "127.0.0.1", resolve));
	const { port } = effects.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}`, hits: () => hits };
}

async function taskEvents(api: Api, id: string): Promise<Event[]> {
	return (await api.get<{ events: Event[] }>(`/api/tasks/${id}/events`)).body.events;
}

describe("durable runs", () => {
	it("SIGKILL after a side-effecting call completed: the task resumes from its checkpoint and the call was made once", async () => {
		const target = await effectServer();
		const allow = { SPARKY_HTTP_FETCH_ALLOW: new URL(target.url).host };
		deployment = new Deployment();
		// The run stops for good right after the call's result is checkpointed.
		await deployment.start({ ...allow, SPARKY_FAILPOINTS: "runner.after-tool" });
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("durable-effect");
		const api = admin.with(user.token);
		const created = await api.post<{ task: TaskView }>("/api/tasks", {
			instruction: `Fetch ${target.url}/charge?order=1 and list files`,
		});
		expect(created.status).toBe(201);
		await deployment.waitForLog("FAILPOINT reached");
		// The call was made (the log line can overtake the test server's own bookkeeping).
		expect(await eventually(() => target.hits() === 1, 5_000, 50)).toBe(true);
		await deployment.crash();

		// Restart with the shipped lease and sweep (20 s, every 5 s), measured from the restart.
		await deployment.start({ ...allow, SPARKY_TASK_LEASE_SECONDS: "20", SPARKY_SWEEP_SECONDS: "5" });
		const restarted = Date.now();
		const socket = new TrackedSocket(deployment.url, user.token, () => {}, true);
		await socket.open({ since: 0 });
		const id = created.body.task.id;
		let final: TaskView | undefined;
		const done = await eventually(
			async () => {
				final = (await api.get<{ task: TaskView }>(`/api/tasks/${id}`)).body.task;
				return TERMINAL.has(final.status);
			},
			90_000,
			250,
		);
		const recoveredMs = Date.now() - restarted;
		const events = await taskEvents(api, id);
		const runStarts = events.filter((e) => e.type === "RUN_STARTED").map((e) => e.attempt);
		const interrupted = events.findIndex((e) => e.type === "RUN_ERROR" && e.code === "interrupted" && e.attempt === 1);
		const secondStart = events.findIndex((e) => e.type === "RUN_STARTED" && e.attempt === 2);
		report("durable: SIGKILL after a completed side effect", {
			final_status: final?.status,
			attempts: final?.attempts,
			side_effect_calls: target.hits(),
			recovered_after_restart_ms: recoveredMs,
			attempt_1_closed_with_interrupted: interrupted >= 0 && interrupted < secondStart,
			gaps: socket.gaps,
			duplicates: socket.duplicates,
		});
		socket.close();
		expect(done).toBe(true);
		expect(final?.status).toBe("succeeded");
		expect(target.hits()).toBe(1);
		expect(final?.result).toContain("charged once");
		expect(runStarts).toEqual([1, 2]);
		// Attempt 1 is closed as interrupted before attempt 2 starts.
		expect(interrupted).toBeGreaterThanOrEqual(0);
		expect(interrupted).toBeLessThan(secondStart);
		expect(socket.gaps + socket.duplicates).toBe(0);
	});

	it("SIGKILL with tasks running: every one is taken back within a lease and a sweep of the restart", async () => {
		deployment = new Deployment();
		// Slow streaming (100 ms a chunk) so tasks are still running when the process dies.
		const shipped = { SPARKY_TASK_LEASE_SECONDS: "20", SPARKY_SWEEP_SECONDS: "5", SPARKY_DEMO_DELAY_MS: "100" };
		await deployment.start(shipped);
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("durable-recovery");
		const api = admin.with(user.token);
		const ids: string[] = [];
		for (let i = 0; i < 12; i++) {
			const res = await api.post<{ task: TaskView }>("/api/tasks", {
				instruction: "List files in the workspace and summarise README.md",
				allow_duplicates: true,
			});
			ids.push(res.body.task.id);
		}
		const list = async () => (await api.get<{ tasks: TaskView[] }>("/api/tasks?limit=100")).body.tasks;
		// The kill follows the snapshot that saw tasks running at once.
		let runningAtCrash: string[] = [];
		const sawRunning = await eventually(
			async () => {
				runningAtCrash = (await list()).filter((t) => t.status === "running").map((t) => t.id);
				return runningAtCrash.length > 0;
			},
			30_000,
			25,
		);
		expect(sawRunning).toBe(true);
		await deployment.crash();
		await deployment.start(shipped);
		const restarted = Date.now();
		let takenBackMs = 0;
		const allTakenBack = await eventually(
			async () => {
				const tasks = await list();
				const back = runningAtCrash.every((id) => {
					const t = tasks.find((x) => x.id === id);
					return t !== undefined && (t.attempts > 1 || TERMINAL.has(t.status));
				});
				if (back && !takenBackMs) takenBackMs = Date.now() - restarted;
				return back;
			},
			90_000,
			250,
		);
		const allDone = await eventually(
			async () => (await list()).filter((t) => ids.includes(t.id)).every((t) => TERMINAL.has(t.status)),
			120_000,
			500,
		);
		const allEndedMs = Date.now() - restarted;
		const tasks = (await list()).filter((t) => ids.includes(t.id));
		report("durable: recovery after SIGKILL (lease 20 s, sweep 5 s)", {
			tasks: ids.length,
			running_at_crash: runningAtCrash.length,
			taken_back_after_restart_ms: takenBackMs,
			all_ended_after_restart_ms: allEndedMs,
			succeeded: tasks.filter((t) => t.status === "succeeded").length,
		});
		expect(runningAtCrash.length).toBeGreaterThan(0);
		expect(allTakenBack).toBe(true);
		expect(takenBackMs).toBeLessThanOrEqual(30_000);
		expect(allDone).toBe(true);
		expect(tasks.every((t) => t.status === "succeeded")).toBe(true);
	});

	it("a task waiting for approval survives SIGKILL and goes on when approved", async () => {
		deployment = new Deployment();
		await deployment.start();
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("durable-approval");
		const api = admin.with(user.token);
		// Seeds the workspace (README.md) first, so there is something to delete.
		const seed = await api.post<{ task: TaskView }>("/api/tasks", { instruction: "List files" });
		await eventually(
			async () =>
				(await api.get<{ task: TaskView }>(`/api/tasks/${seed.body.task.id}`)).body.task.status === "succeeded",
			30_000,
		);
		const created = await api.post<{ task: TaskView }>("/api/tasks", { instruction: "Delete README.md" });
		const id = created.body.task.id;
		const view = async () => (await api.get<{ task: TaskView }>(`/api/tasks/${id}`)).body.task;
		expect(await eventually(async () => (await view()).status === "awaiting_approval", 30_000)).toBe(true);
		await deployment.crash();
		await deployment.start();
		const paused = await view();
		expect(paused.status).toBe("awaiting_approval");
		const approval = paused.approvals?.[0];
		expect(approval).toMatchObject({ status: "pending", tool: "delete_file" });
		const decided = await api.post(`/api/tasks/${id}/approvals/${approval?.id}`, { approved: true });
		expect(decided.status).toBe(200);
		expect(await eventually(async () => (await view()).status === "succeeded", 60_000)).toBe(true);
		const final = await view();
		const files = await api.post<{ task: TaskView }>("/api/tasks", {
			instruction: "List files",
			allow_duplicates: true,
		});
		await eventually(
			async () =>
				(await api.get<{ task: TaskView }>(`/api/tasks/${files.body.task.id}`)).body.task.status === "succeeded",
			30_000,
		);
		const listing = (await api.get<{ task: TaskView }>(`/api/tasks/${files.body.task.id}`)).body.task.result ?? "";
		report("durable: a paused task across SIGKILL", {
			status_after_restart: paused.status,
			final_status: final.status,
			deleted: !listing.includes("README.md"),
		});
		expect(final.result).toContain("Deleted **README.md**");
		expect(listing).not.toContain("README.md");
	});
});
