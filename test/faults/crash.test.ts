import { afterEach, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";
import { TrackedSocket } from "./support/tracked-socket.ts";

type TaskView = { id: string; status: string; attempts: number; error: string | null };
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

let deployment: Deployment | undefined;
afterEach(async () => {
	await deployment?.dispose();
	deployment = undefined;
});

async function allTasks(api: Api): Promise<TaskView[]> {
	const { body } = await api.get<{ tasks: TaskView[] }>("/api/tasks?limit=100");
	return body.tasks;
}

/** Everything a user's hub still holds: a fresh socket replaying from 0. */
async function storedIds(url: string, token: string): Promise<Set<string>> {
	const probe = new TrackedSocket(url, token, () => {}, true);
	await probe.open({ since: 0 });
	probe.close();
	return probe.ids;
}

describe("crash and restart", () => {
	it("SIGKILL under load: every accepted task ends, stored events stay, resumed clients see no gap or duplicate", async () => {
		deployment = new Deployment();
		await deployment.start();
		const admin = new Api(deployment.url, deployment.adminToken);
		const users = await Promise.all(["crash-a", "crash-b", "crash-c"].map((id) => admin.user(id)));
		const agent = await admin.user("agent");
		const sockets = [
			...[1, 2, 3].map(() => new TrackedSocket(deployment!.url, agent.token, () => {}, true)),
			...users.flatMap((u) => [1, 2].map(() => new TrackedSocket(deployment!.url, u.token, () => {}, true))),
		];
		await Promise.all(sockets.map((s) => s.open()));

		const accepted: string[] = [];
		for (const user of users) {
			for (let i = 0; i < 8; i++) {
				const res = await admin.with(user.token).post<{ task: TaskView }>("/api/tasks", {
					instruction: "List files in the workspace and summarise README.md",
					allow_duplicates: true,
				});
				expect(res.status).toBe(201);
				accepted.push(res.body.task.id);
			}
		}
		// Crash while work is in flight.
		expect(await eventually(async () => (await allTasks(admin)).some((t) => t.status === "running"), 30_000, 50)).toBe(
			true,
		);
		const before = new Map(sockets.map((s) => [s, new Set(s.ids)]));
		const runningAtCrash = (await allTasks(admin)).filter((t) => t.status === "running").length;
		const crashAt = Date.now();
		await deployment.crash();

		await deployment.start();
		const restartMs = Date.now() - crashAt;
		await Promise.all(sockets.map((s) => s.resume()));
		const finished = await eventually(
			async () => {
				const tasks = await allTasks(admin);
				return accepted.every((id) => TERMINAL.has(tasks.find((t) => t.id === id)?.status ?? ""));
			},
			120_000,
			500,
		);
		const tasks = await allTasks(admin);
		expect(finished, JSON.stringify(tasks.filter((t) => !TERMINAL.has(t.status)))).toBe(true);

		// Everything a client saw before the crash was stored first: it is all still there.
		let preCrash = 0;
		let missing = 0;
		for (const socket of sockets) {
			const stored = await storedIds(deployment.url, socket.token);
			for (const id of before.get(socket) ?? []) {
				preCrash++;
				if (!stored.has(id)) missing++;
			}
		}
		await eventually(() => false, 1500); // let the last live events land
		const gaps = sockets.reduce((n, s) => n + s.gaps, 0);
		const duplicates = sockets.reduce((n, s) => n + s.duplicates, 0);
		for (const s of sockets) s.close();
		const byStatus = Object.fromEntries(
			[...TERMINAL].map((status) => [
				status,
				tasks.filter((t) => accepted.includes(t.id) && t.status === status).length,
			]),
		);
		report("crash: SIGKILL under load", {
			tasks_accepted: accepted.length,
			running_at_crash: runningAtCrash,
			terminal_after_restart: byStatus,
			retried_tasks: tasks.filter((t) => t.attempts > 1).length,
			restart_ms: restartMs,
			sockets: sockets.length,
			events_seen_before_crash: preCrash,
			events_lost: missing,
			gaps,
			duplicates,
		});
		expect(missing).toBe(0);
		expect(gaps).toBe(0);
		expect(duplicates).toBe(0);
		expect(byStatus.succeeded).toBe(accepted.length);
	});

	it("crash in a hub's fan-out (event stored, not yet sent): the event is replayed, the task still ends", async () => {
		deployment = new Deployment();
		await deployment.start({ SPARKY_FAILPOINTS: "hub.after-store" });
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("fanout-crash");
		const socket = new TrackedSocket(deployment.url, user.token, () => {}, true);
		await socket.open({ since: 0 });
		// This request never gets an answer: the hub stops between storing and sending.
		const pending = admin.post("/api/users/fanout-crash/events", { name: "n", value: 1 }).catch(() => undefined);
		await deployment.waitForLog("FAILPOINT reached");
		// A task accepted while the hub hangs: its "queued" publish hangs too, so the POST never answers.
		const taskPost = admin
			.with(user.token)
			.post("/api/tasks", { instruction: "what time is it" })
			.catch(() => undefined);
		await eventually(() => false, 1000);
		expect(socket.received).toBe(0);
		await deployment.crash();
		await Promise.all([pending, taskPost]);

		await deployment.start();
		await socket.resume();
		const userApi = admin.with(user.token);
		const done = await eventually(
			async () => {
				const tasks = (await userApi.get<{ tasks: TaskView[] }>("/api/tasks")).body.tasks;
				return tasks.length === 1 && tasks[0]?.status === "succeeded";
			},
			60_000,
			500,
		);
		const notices = socket.received;
		report("crash: during hub fan-out", {
			stored_but_unsent_events_replayed: notices > 0,
			task_accepted_during_hang_completed: done,
			gaps: socket.gaps,
			duplicates: socket.duplicates,
		});
		expect(done).toBe(true);
		expect(socket.gaps + socket.duplicates).toBe(0);
		socket.close();
	});

	it("crash during the runner's D1 write: the lease expires, the task runs again and ends once", async () => {
		deployment = new Deployment();
		await deployment.start({ SPARKY_FAILPOINTS: "runner.before-finish" });
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("d1-crash");
		const socket = new TrackedSocket(deployment.url, user.token, () => {}, true);
		await socket.open();
		const created = await admin
			.with(user.token)
			.post<{ task: TaskView }>("/api/tasks", { instruction: "what time is it" });
		await deployment.waitForLog("FAILPOINT reached");
		await deployment.crash();
		await deployment.start();
		await socket.resume();
		const id = created.body.task.id;
		let final: TaskView | undefined;
		const done = await eventually(
			async () => {
				final = (await admin.get<{ task: TaskView }>(`/api/tasks/${id}`)).body.task;
				return final?.status === "succeeded";
			},
			60_000,
			500,
		);
		await eventually(() => false, 1000);
		report("crash: during the runner's D1 write", {
			final_status: final?.status,
			attempts: final?.attempts,
			recovered_by: "lease expiry → sweep → retry",
			gaps: socket.gaps,
			duplicates: socket.duplicates,
		});
		expect(done).toBe(true);
		expect(final?.attempts).toBe(2);
		expect(socket.gaps + socket.duplicates).toBe(0);
		socket.close();
	});

	it("a normal restart keeps users, tokens, tasks, schedules and events", async () => {
		deployment = new Deployment();
		await deployment.start();
		const admin = new Api(deployment.url, deployment.adminToken);
		const user = await admin.user("restart-keeps");
		const userApi = admin.with(user.token);
		const task = await userApi.post<{ task: TaskView }>("/api/tasks", { instruction: "what time is it" });
		await userApi.post("/api/schedules", { name: "daily", instruction: "what time is it", every: "1d" });
		await eventually(
			async () =>
				(await userApi.get<{ task: TaskView }>(`/api/tasks/${task.body.task.id}`)).body.task.status === "succeeded",
			30_000,
		);
		const before = await storedIds(deployment.url, user.token);
		await deployment.stop();
		await deployment.start();
		const after = await storedIds(deployment.url, user.token);
		const kept = {
			token_works: (await userApi.get("/api/me")).status === 200,
			task: (await userApi.get<{ task: TaskView }>(`/api/tasks/${task.body.task.id}`)).body.task?.status,
			schedule: (await userApi.get("/api/schedules/daily")).status === 200,
			events_before: before.size,
			events_after: after.size,
		};
		report("restart: state survives", kept);
		expect(kept).toMatchObject({ token_works: true, task: "succeeded", schedule: true });
		expect([...before].every((id) => after.has(id))).toBe(true);
	});
});
