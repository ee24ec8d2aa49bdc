// The floor: Sparky's dispatch hops and nothing else, in the bench Worker (same wrangler, same
// workerd, same D1, a queue with the task queue's consumer settings). No src/ code.
//   POST /floor/tasks   → D1 insert → queue send;  consumer → D1 claim → FloorHub.publish RPC → socket
//   POST /floor/publish → FloorHub.publish RPC → socket (the floor of a direct hub publish)
// A task may carry a plan (the burst floor): per task the steps, writes and events a demo task
// makes, so the same pipeline does a demo task's work without a model library.
import { DurableObject } from "cloudflare:workers";

export type FloorEnv = {
	DB: D1Database;
	FLOOR_QUEUE: Queue<FloorMessage>;
	FLOOR_HUB: DurableObjectNamespace<FloorHub>;
};

/** What a floor task does after its claim (all zero: the dispatch floor, RUN_STARTED only). */
export type FloorPlan = {
	/** Model steps: each is one D1 write and one publish to the creator's hub. */
	steps: number;
	/** D1 statements beyond the steps' own, spread over the steps' batches (ledger, checkpoints…). */
	writes: number;
	/** Events per task on the creator's hub, spread over its publishes. */
	events: number;
	/** Publishes per task to the creator's hub (at least the steps'). */
	publishes: number;
	/** Events per task on the agent's hub, sent with the run's end. */
	summaryEvents: number;
};

export type FloorMessage = { id: string; hub: string; plan?: FloorPlan; t: Record<string, number> };

const SCHEMA = [
	"CREATE TABLE IF NOT EXISTS floor_tasks (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER)",
	"CREATE TABLE IF NOT EXISTS floor_steps (task_id TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (task_id, n))",
];

/** The minimal hub: hibernatable sockets; a publish sends the batch as one frame to each (and may store it as one row). */
export class FloorHub extends DurableObject {
	#table = false;

	override fetch(): Response {
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server);
		return new Response(null, { status: 101, webSocket: client });
	}

	publish(events: Record<string, unknown>[], store = false): number {
		const t = Date.now();
		for (const e of events) if (e.t && typeof e.t === "object") (e.t as Record<string, number>).hub = t;
		if (store) {
			if (!this.#table) {
				this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)");
				this.#table = true;
			}
			this.ctx.storage.sql.exec("INSERT INTO log (body) VALUES (?)", JSON.stringify(events));
		}
		const frame = JSON.stringify(events);
		const sockets = this.ctx.getWebSockets();
		for (const ws of sockets) ws.send(frame);
		return sockets.length;
	}
}

const hub = (env: FloorEnv, name: string) => env.FLOOR_HUB.getByName(name);

/** The floor's HTTP routes (the bench's admin token checked by the caller), or undefined. */
export async function floorRoute(request: Request, env: FloorEnv, url: URL): Promise<Response | undefined> {
	if (url.pathname === "/floor/ws") return hub(env, url.searchParams.get("hub") ?? "floor").fetch(request);
	if (url.pathname === "/floor/setup") {
		await env.DB.batch(SCHEMA.map((sql) => env.DB.prepare(sql)));
		return Response.json({ ok: true });
	}
	if (url.pathname === "/floor/publish") {
		const t = { in: Date.now() };
		const { hub: name, events } = (await request.json()) as { hub: string; events: Record<string, unknown>[] };
		await hub(env, name).publish(events.map((e) => ({ ...e, t })));
		return Response.json({ ok: true });
	}
	if (url.pathname === "/floor/tasks") {
		const t: Record<string, number> = { in: Date.now() };
		const { hub: name, plan } = (await request.json()) as { hub: string; plan?: FloorPlan };
		const id = crypto.randomUUID();
		await env.DB.prepare("INSERT INTO floor_tasks (id, status, created_at) VALUES (?, 'queued', ?)")
			.bind(id, t.in)
			.run();
		t.inserted = Date.now();
		await env.FLOOR_QUEUE.send({ id, hub: name, plan, t });
		t.sent = Date.now();
		return Response.json({ id, t });
	}
	return undefined;
}

/** The floor's consumer: a batch's tasks side by side, as Sparky's consumer runs them. */
export async function floorQueue(batch: MessageBatch<FloorMessage>, env: FloorEnv): Promise<void> {
	const consumed = Date.now();
	await Promise.all(
		batch.messages.map(async (message) => {
			await runFloorTask(env, message.body, consumed);
			message.ack();
		}),
	);
}

async function runFloorTask(env: FloorEnv, { id, hub: name, plan, t }: FloorMessage, consumed: number) {
	const times = { ...t, consumed };
	const claimed = await env.DB.prepare(
		"UPDATE floor_tasks SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued' RETURNING id",
	)
		.bind(Date.now(), id)
		.first();
	if (!claimed) return;
	times.claimed = Date.now();
	const started = { type: "RUN_STARTED", task_id: id, t: times };
	if (!plan) {
		await hub(env, name).publish([started]);
		return;
	}
	// The burst floor: a demo task's steps, writes and events, on the creator's and agent's hubs.
	const creator = hub(env, `${name}-creator`);
	const store = true;
	const perPublish = Math.max(1, Math.round(plan.events / Math.max(1, plan.publishes)));
	const extraPublishes = Math.max(0, plan.publishes - plan.steps - 2);
	await creator.publish([started], store);
	// Each step: its D1 writes in one batch (Sparky's steps write in batches), then its events.
	for (let n = 0; n < plan.steps; n++) {
		const writes = Math.floor(plan.writes / plan.steps) + (n < plan.writes % plan.steps ? 1 : 0);
		await env.DB.batch([
			env.DB.prepare("INSERT INTO floor_steps (task_id, n, body) VALUES (?, ?, ?)").bind(
				id,
				n,
				JSON.stringify({ step: n, text: "x".repeat(200) }),
			),
			...Array.from({ length: writes }, () =>
				env.DB.prepare("UPDATE floor_tasks SET started_at = ? WHERE id = ?").bind(Date.now(), id),
			),
		]);
		const events = Array.from({ length: perPublish }, (_, i) => ({ type: "STEP", task_id: id, n, i }));
		await creator.publish(events, store);
	}
	for (let n = 0; n < extraPublishes; n++) {
		await creator.publish(
			Array.from({ length: perPublish }, (_, i) => ({ type: "EXTRA", task_id: id, n, i })),
			store,
		);
	}
	await env.DB.prepare("UPDATE floor_tasks SET status = 'succeeded' WHERE id = ?").bind(id).run();
	const done = { type: "RUN_FINISHED", task_id: id };
	await creator.publish([done], store);
	const summary = Array.from({ length: Math.max(0, plan.summaryEvents - 1) }, (_, i) => ({
		type: "SUMMARY",
		task_id: id,
		i,
	}));
	await hub(env, name).publish([...summary, done], store);
}
