// The benchmark's Worker: Sparky itself plus a raw fan-out Durable Object as the anchor.
// Not part of the production bundle (see bench/wrangler.bench.toml).
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { hubFor } from "../src/hub/stub.ts";
import sparky from "../src/index.ts";
import { recallForRun } from "../src/memory/recall.ts";
import { type FloorEnv, type FloorMessage, floorQueue, floorRoute } from "./floor.ts";

export { Clock, UserHub } from "../src/index.ts";
export { FloorHub } from "./floor.ts";

/** The anchor: accepts hibernatable sockets, and sends each event as its own frame to all. */
export class RawHub extends DurableObject {
	override fetch(): Response {
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server);
		return new Response(null, { status: 101, webSocket: client });
	}

	broadcast(events: unknown[]): number {
		const frames = events.map((event) => JSON.stringify([event]));
		const sockets = this.ctx.getWebSockets();
		for (const ws of sockets) for (const frame of frames) ws.send(frame);
		return sockets.length;
	}
}

const Events = z
	.array(z.object({ type: z.literal("CUSTOM") }).loose())
	.min(1)
	.max(500);

/** What the Worker (routes and queue consumer) cost, counted in this isolate: the bench reads and diffs it. */
const counters = { d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, queueSends: 0, queueBatches: 0, queueMessages: 0 };
/** The demo model's chunk delay for runs started from now on (undefined: the config's). */
let demoDelayMs: string | undefined;

/** D1 queries by statement (its first words), to see where a task's queries go. */
const statements = new Map<string, { queries: number; rowsRead: number; rowsWritten: number }>();

/**
 * Hop timestamps (bench/dispatch.mjs): while on, each D1 statement, queue send, hub RPC and
 * Worker entry is recorded with its start and end (Date.now(), which moves at I/O in workerd).
 */
let trace: { what: string; start: number; end: number }[] | undefined;
async function traced<T>(what: string, work: () => Promise<T>): Promise<T> {
	if (!trace) return work();
	const entry = { what, start: Date.now(), end: Number.NaN };
	trace.push(entry);
	try {
		return await work();
	} finally {
		entry.end = Date.now();
	}
}
const label = (sql: string) => `d1 ${sql.replace(/\s+/g, " ").trim().slice(0, 48)}`;

type Meta = { rows_read?: number; rows_written?: number } | undefined;
const count = (meta: Meta, sql = "?") => {
	const key = sql.replace(/\s+/g, " ").trim().slice(0, 70);
	const s = statements.get(key) ?? { queries: 0, rowsRead: 0, rowsWritten: 0 };
	s.queries++;
	s.rowsRead += meta?.rows_read ?? 0;
	s.rowsWritten += meta?.rows_written ?? 0;
	statements.set(key, s);
	counters.d1Queries++;
	counters.d1RowsRead += meta?.rows_read ?? 0;
	counters.d1RowsWritten += meta?.rows_written ?? 0;
};

/** D1 with every query's billed rows counted (first() runs as all(), which returns the meta). */
function countedStatement(statement: D1PreparedStatement, sql: string): D1PreparedStatement {
	const wrapped = {
		bind: (...values: unknown[]) => countedStatement(statement.bind(...values), sql),
		async first(column?: string) {
			const result = await traced(label(sql), () => statement.all());
			count(result.meta, sql);
			const row = (result.results[0] ?? null) as Record<string, unknown> | null;
			return column === undefined ? row : (row?.[column] ?? null);
		},
		async all() {
			const result = await traced(label(sql), () => statement.all());
			count(result.meta, sql);
			return result;
		},
		async run() {
			const result = await traced(label(sql), () => statement.run());
			count(result.meta, sql);
			return result;
		},
		async raw(options?: { columnNames?: boolean }) {
			counters.d1Queries++;
			return statement.raw(options as { columnNames: true });
		},
		inner: statement,
		sql,
	};
	return wrapped as unknown as D1PreparedStatement;
}

function countedEnv(env: Env): Env {
	const db = env.DB;
	const DB = {
		prepare: (query: string) => countedStatement(db.prepare(query), query),
		async batch(batch: D1PreparedStatement[]) {
			const inner = batch as unknown as { inner: D1PreparedStatement; sql: string }[];
			const results = await traced(`d1 batch [${inner.map((s) => label(s.sql).slice(3, 30)).join(" | ")}]`, () =>
				db.batch(inner.map((s) => s.inner)),
			);
			for (const [i, r] of results.entries()) count(r.meta, inner[i]?.sql);
			return results;
		},
		exec: (query: string) => db.exec(query),
		withSession: () => DB,
		dump: () => db.dump(),
	} as unknown as D1Database;
	const queue = env.TASK_QUEUE;
	const TASK_QUEUE = {
		send: (body: unknown, options?: QueueSendOptions) => {
			counters.queueSends++;
			return traced("queue send", () => queue.send(body, options));
		},
		sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
			counters.queueSends += [...messages].length;
			return queue.sendBatch(messages, options);
		},
	} as unknown as Queue;
	const hubs = env.USER_HUB;
	const USER_HUB = new Proxy(hubs, {
		get(target, prop) {
			if (prop !== "getByName") {
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			}
			return (name: string) => {
				const stub = target.getByName(name);
				return new Proxy(stub, {
					get(s, method) {
						const value = Reflect.get(s, method);
						if (typeof value !== "function" || typeof method !== "string") return value;
						// An RPC method is a proxy itself (its `apply` would be a remote call): call it on the stub.
						const call = (...args: unknown[]) =>
							(s as unknown as Record<string, (...a: unknown[]) => unknown>)[method]?.(...args);
						return (...args: unknown[]) => traced(`hub ${method}`, async () => call(...args));
					},
				});
			};
		},
	});
	return {
		...env,
		DB,
		TASK_QUEUE,
		USER_HUB,
		...(demoDelayMs === undefined ? {} : { SPARKY_DEMO_DELAY_MS: demoDelayMs }),
	} as Env;
}

/** One counted env per isolate env (and demo delay): Sparky caches what it parses per env object, as in production. */
const countedEnvs = new WeakMap<Env, { delay: string | undefined; env: Env }>();
function countedEnvOf(env: Env): Env {
	const known = countedEnvs.get(env);
	if (known && known.delay === demoDelayMs) return known.env;
	const counted = countedEnv(env);
	countedEnvs.set(env, { delay: demoDelayMs, env: counted });
	return counted;
}

type BenchEnv = Env & FloorEnv & { RAW_HUB: DurableObjectNamespace<RawHub> };

async function benchRoute(request: Request, env: BenchEnv, url: URL): Promise<Response | undefined> {
	if (url.pathname === "/raw/ws") return env.RAW_HUB.getByName("bench").fetch(request);
	const floor = url.pathname.startsWith("/floor/");
	if (!url.pathname.startsWith("/raw/") && !url.pathname.startsWith("/bench/") && !floor) return undefined;
	if (request.headers.get("Authorization") !== `Bearer ${env.SPARKY_ADMIN_TOKEN}` && url.pathname !== "/floor/ws") {
		return new Response("unauthorized", { status: 401 });
	}
	if (floor) return (await floorRoute(request, env, url)) ?? new Response("not found", { status: 404 });
	if (url.pathname === "/bench/counters") return Response.json(counters);
	if (url.pathname === "/bench/trace") {
		const taken = trace ?? [];
		trace = request.method === "POST" ? [] : undefined;
		return Response.json(taken);
	}
	if (url.pathname === "/bench/statements") return Response.json(Object.fromEntries(statements));
	if (url.pathname.startsWith("/bench/hub-stats/")) {
		return Response.json(await hubFor(env, url.pathname.slice("/bench/hub-stats/".length)).diagnostics());
	}
	if (url.pathname === "/bench/demo-delay") {
		const { ms } = z.object({ ms: z.number().int().min(0).nullable() }).parse(await request.json());
		demoDelayMs = ms === null ? undefined : String(ms);
		return Response.json({ ms });
	}
	// What a run's prompt gets of a user's memories (bench/memory.mjs times it).
	if (url.pathname.startsWith("/bench/recall/")) {
		const { text, budget } = z
			.object({ text: z.string(), budget: z.number().int().min(1) })
			.parse(await request.json());
		const user = url.pathname.slice("/bench/recall/".length);
		const recalled = await recallForRun(env, user, text, budget);
		return Response.json({ ids: recalled.ids, chars: recalled.block.length });
	}
	if (url.pathname === "/raw/publish" || url.pathname.startsWith("/bench/publish/")) {
		const events = Events.parse(await request.json());
		if (url.pathname === "/raw/publish") {
			return Response.json({ sockets: await env.RAW_HUB.getByName("bench").broadcast(events) });
		}
		const user = url.pathname.slice("/bench/publish/".length);
		return Response.json(await hubFor(env, user).publish(events));
	}
	return new Response("not found", { status: 404 });
}

/** The floor's queue (bench/wrangler.bench.toml): its consumer is the floor's, not Sparky's. */
const FLOOR_QUEUE = "sparky-bench-floor";

export default {
	...sparky,
	async fetch(request, env, ctx) {
		const answer = await benchRoute(request, env, new URL(request.url));
		if (answer) return answer;
		trace?.push({ what: "worker fetch", start: Date.now(), end: Date.now() });
		return sparky.fetch(request, countedEnvOf(env), ctx);
	},
	async queue(batch, env) {
		if (batch.queue === FLOOR_QUEUE) return floorQueue(batch as MessageBatch<FloorMessage>, env);
		counters.queueBatches++;
		counters.queueMessages += batch.messages.length;
		trace?.push({ what: "worker queue", start: Date.now(), end: Date.now() });
		return sparky.queue(batch, countedEnvOf(env));
	},
	async scheduled(controller, env) {
		return sparky.scheduled(controller, countedEnvOf(env));
	},
} satisfies ExportedHandler<BenchEnv>;
