import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";
import { type SeenEvent, TrackedSocket } from "./support/tracked-socket.ts";

// Full size by default; LOAD_SCALE=0.2 (say) for a quick local look.
const scale = Number(process.env.LOAD_SCALE ?? 1);
/** One user with a thousand tabs (its own tasks, a chat, and a stream of notices). */
const CROWD_SOCKETS = Math.round(1000 * scale);
/** The operator's view of all agent work: every event of every run. */
const AGENT_SOCKETS = 8;
const NOTICES = 100;
const USERS = Math.max(2, Math.round(50 * scale));
const SOCKETS_PER_USER = 4;
const TASKS = USERS * 4;
const progress = (message: string) => console.error(`[load ${new Date().toISOString().slice(11, 19)}] ${message}`);
const DROP_SHARE = 0.1;

let deployment: Deployment;
let admin: Api;
beforeAll(async () => {
	deployment = new Deployment();
	// 1,000 sockets of one user open at once: above the shipped socket rate (a flood it is meant to stop).
	await deployment.start({
		SPARKY_DEMO_DELAY_MS: "0",
		SPARKY_RATE_SOCKETS_BURST: "2000",
		SPARKY_RATE_SOCKETS_PER_MINUTE: "2000",
		SPARKY_RATE_TICKETS_BURST: "2000",
		SPARKY_RATE_TICKETS_PER_MINUTE: "2000",
		SPARKY_MAX_SOCKETS: "2000",
	});
	admin = new Api(deployment.url, deployment.adminToken);
});
afterAll(async () => {
	await deployment?.dispose();
});

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
	for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const shuffle = <T>(items: T[]): T[] =>
	items
		.map((item) => [Math.random(), item] as const)
		.sort((a, b) => a[0] - b[0])
		.map(([, item]) => item);

describe("load", () => {
	it("1,000 sockets on one user, 200 over 50 users, 200 tasks and 50 chat turns at once, 10% of sockets dropped", async () => {
		// The crowd user's thousand sockets get its own runs and 100 notices; 8 sockets of the
		// agent user get every event of every run (the firehose). docs/reliability.md.
		const agent = await admin.user("agent");
		const users = await Promise.all(
			Array.from({ length: USERS }, (_, i) => admin.user(`load-${String(i).padStart(2, "0")}`)),
		);

		// Who owns what, to catch an event on the wrong user's socket.
		const owner = new Map<string, string>();
		const seenByUser: { user: string; event: SeenEvent }[] = [];
		const record = (user: string) => (_socket: TrackedSocket, event: SeenEvent) => {
			if (event.task_id || event.chat_id) seenByUser.push({ user, event });
		};
		const agentSockets = Array.from({ length: AGENT_SOCKETS }, () => new TrackedSocket(deployment.url, agent.token));
		const userSockets = users.flatMap((u) =>
			Array.from({ length: SOCKETS_PER_USER }, () => new TrackedSocket(deployment.url, u.token, record(u.id))),
		);
		const crowdUser = users[0] as (typeof users)[number];
		const crowd = Array.from(
			{ length: CROWD_SOCKETS },
			() => new TrackedSocket(deployment.url, crowdUser.token, record(crowdUser.id)),
		);
		const sockets = [...agentSockets, ...userSockets, ...crowd];
		const openStarted = Date.now();
		await inBatches(sockets, 50, (s) => s.open());
		const openMs = Date.now() - openStarted;
		progress(`${sockets.length} sockets open in ${openMs} ms`);

		const started = Date.now();
		// Drop 10% of the sockets at random moments while the work runs, and bring them back.
		const dropped = shuffle(sockets).slice(0, Math.round(sockets.length * DROP_SHARE));
		const drops = Promise.all(
			dropped.map(async (socket) => {
				await new Promise((r) => setTimeout(r, Math.random() * 8000));
				await socket.drop();
				await new Promise((r) => setTimeout(r, 100 + Math.random() * 1500));
				await socket.resume();
			}),
		);

		// 200 tasks (4 per user) and one chat turn per user, all at once.
		const work = users.flatMap((u, i) => [
			...Array.from({ length: TASKS / USERS }, (_, n) => async () => {
				const res = await admin.with(u.token).post<{ task: { id: string } }>("/api/tasks", {
					instruction: n % 2 === 0 ? "what time is it" : "List files in the workspace and summarise README.md",
					allow_duplicates: true,
				});
				expect(res.status).toBe(201);
				owner.set(res.body.task.id, u.id);
			}),
			async () => {
				const chat = await admin.with(u.token).post<{ chat: { id: string } }>("/api/chats", { title: `load ${i}` });
				owner.set(chat.body.chat.id, u.id);
				const sent = await admin.with(u.token).post<{ turn_id: string }>(`/api/chats/${chat.body.chat.id}/messages`, {
					text: "list my files",
				});
				expect(sent.status).toBe(202);
				owner.set(sent.body.turn_id, u.id);
			},
		]);
		// And a stream of notices to the crowd user, fanned out to its thousand sockets.
		const notices = Array.from({ length: NOTICES }, (_, n) => async () => {
			await new Promise((r) => setTimeout(r, Math.random() * 5000));
			const res = await admin.post(`/api/users/${crowdUser.id}/events`, { name: "load.notice", value: { n } });
			expect(res.status).toBe(201);
		});
		await Promise.all(shuffle([...work, ...notices]).map((job) => job()));
		const submittedMs = Date.now() - started;
		progress(`${work.length} jobs submitted in ${submittedMs} ms`);
		// Chat turns are their owner's alone (admins don't list them): each user lists their own.
		const turnsOf = async () =>
			(
				await Promise.all(
					users.map(
						async (u) =>
							(
								await admin.with(u.token).get<{ tasks: { status: string }[] }>("/api/tasks?kind=chat&limit=100")
							).body.tasks,
					),
				)
			).flat();
		const ticker = setInterval(async () => {
			const { body } = await admin.get<{ counts: Record<string, number> }>("/api/agent/status");
			const delivered = sockets.reduce((n, s) => n + s.received, 0);
			progress(`counts ${JSON.stringify(body.counts)}; events delivered ${delivered}`);
		}, 5000);

		const allDone = await eventually(
			async () => {
				const { body } = await admin.get<{ counts: Record<string, number> }>("/api/agent/status");
				const background =
					body.counts.queued === 0 &&
					body.counts.running === 0 &&
					body.counts.waiting === 0 &&
					(body.counts.succeeded ?? 0) >= TASKS;
				// The admin's view holds background tasks only; chat turns are asked of their owners.
				return background && (await turnsOf()).every((t) => t.status === "succeeded" || t.status === "failed");
			},
			300_000,
			1000,
		);
		clearInterval(ticker);
		progress(`all work done: ${allDone}`);
		await drops;
		progress("drops and resumes done");
		// Let the last frames land, then compare each socket with its hub.
		const hubLast = new Map<string, number>();
		for (const token of [agent.token, ...users.map((u) => u.token)]) {
			const probe = new TrackedSocket(deployment.url, token);
			await probe.open();
			hubLast.set(token, probe.lastSeq);
			probe.close();
		}
		await eventually(() => sockets.every((s) => s.lastSeq === hubLast.get(s.token)), 60_000, 250);
		const wallMs = Date.now() - started;

		const { body: status } = await admin.get<{ counts: Record<string, number> }>("/api/agent/status");
		const chatTurns = await turnsOf();
		const behind = sockets.filter((s) => s.lastSeq !== hubLast.get(s.token)).length;
		const leaked = seenByUser.filter(({ user, event }) => {
			const id = event.task_id ?? event.chat_id ?? "";
			return owner.has(id) ? owner.get(id) !== user : false;
		}).length;
		const delivered = sockets.reduce((n, s) => n + s.received, 0);
		const gaps = sockets.reduce((n, s) => n + s.gaps, 0);
		const duplicates = sockets.reduce((n, s) => n + s.duplicates, 0);
		for (const s of sockets) s.close();

		report("load", {
			sockets: sockets.length,
			crowd_user_sockets: CROWD_SOCKETS,
			agent_sockets: AGENT_SOCKETS,
			user_sockets: userSockets.length,
			notices_to_crowd_user: NOTICES,
			users: USERS,
			tasks: TASKS,
			chat_turns: chatTurns.length,
			dropped_and_resumed: dropped.length,
			task_counts: status.counts,
			chat_turns_succeeded: chatTurns.filter((t) => t.status === "succeeded").length,
			events_delivered: delivered,
			lost: behind,
			duplicated: duplicates,
			gaps,
			leaked,
			sockets_open_ms: openMs,
			submit_ms: submittedMs,
			wall_ms: wallMs,
		});
		expect(allDone).toBe(true);
		// The admin's counts are the background tasks; the turns are counted from their owners.
		expect(status.counts.succeeded).toBe(TASKS);
		expect(chatTurns.filter((t) => t.status === "succeeded")).toHaveLength(USERS);
		expect(behind).toBe(0);
		expect(gaps).toBe(0);
		expect(duplicates).toBe(0);
		expect(leaked).toBe(0);
	});
});
