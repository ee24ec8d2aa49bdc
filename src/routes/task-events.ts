import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { TaskStreamFramer } from "../agui/events.ts";
import { invalid, unauthorized } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { StreamGuard } from "../http/stream-guard.ts";
import { paramsOf, queryOf } from "../http/validate.ts";
import { hubFor } from "../hub/stub.ts";
import { endsTask, isTerminal, OpaqueIdSchema, type TaskStatus } from "../protocol/index.ts";
import { toTask } from "../storage/tasks.ts";
import { visibleTask } from "../tasks/lookup.ts";
import { followTask } from "./follow-task.ts";

const Query = z.object({
	since: z.coerce.number().int().nonnegative().optional(),
	limit: z.coerce.number().int().min(1).max(1000).default(1000),
	/** JSON only: wait up to this many seconds for an event after `since` (a long poll). */
	wait: z.coerce.number().int().min(0).max(25).default(0),
});

/**
 * GET /api/tasks/:id/events: the task's stored events (JSON; with `wait`, a long poll for
 * the next ones: how the page follows a task whose stream is not on the viewer's hub), or, with
 * `Accept: text/event-stream`, the task followed live as Server-Sent Events until it ends,
 * resuming after `Last-Event-ID`. Event ids are seqs of the creator's hub.
 */
export const taskEventsRoutes = new Hono<AppEnv>().get(
	"/:id/events",
	requireAuth,
	paramsOf(z.object({ id: OpaqueIdSchema })),
	queryOf(Query),
	async (c) => {
		const task = await visibleTask(c.env, c.req.valid("param").id, c.var.auth);
		const query = c.req.valid("query");
		const hub = hubFor(c.env, task.user_id);
		const since = lastEventId(c.req.header("Last-Event-ID")) ?? query.since ?? 0;

		if (!(c.req.header("Accept") ?? "").includes("text/event-stream")) {
			// A finished task has nothing left to wait for.
			const waitMs = isTerminal(task.status) ? 0 : query.wait * 1000;
			if (waitMs === 0) {
				const { events } = await hub.taskEvents(task.id, since, query.limit);
				return c.json({ task_id: task.id, events: events.slice(0, query.limit) });
			}
			// A long poll is an open stream: counted, and its token asked again after a long wait.
			const guard = await StreamGuard.open(c.env, c.var.auth, c.executionCtx);
			try {
				const waitedFrom = Date.now();
				const { events } = await hub.waitForTask(task.id, since, waitMs);
				if (Date.now() - waitedFrom >= 1000) {
					const access = await guard.access({ force: true });
					if (!access.ok) throw unauthorized(access.reason);
				}
				return c.json({ task_id: task.id, events: events.slice(0, query.limit) });
			} finally {
				guard.close();
			}
		}

		const guard = await StreamGuard.open(c.env, c.var.auth, c.executionCtx);
		return streamSSE(c, async (stream) => {
			try {
				// Valid AG-UI run by run: what happens between runs travels inside the next one.
				const framer = new TaskStreamFramer();
				if (since > 0) {
					// Resumed mid-task: learn whether the cut fell inside a run (what was sent is not sent again).
					const { events } = await hub.taskEvents(task.id, 0, 1000);
					for (const event of events) if (event.seq <= since) framer.accept(event, true);
				}
				const end = async (body: unknown) => stream.write(`: end ${JSON.stringify(body)}\n\n`);
				let ending: { status: TaskStatus; seq: number } | undefined;
				const ended = await followTask({
					hub,
					db: c.env.DB,
					taskId: task.id,
					from: since,
					// A finished task needs no waiting: send what is stored, then end.
					finished: isTerminal(task.status),
					stream,
					signal: c.req.raw.signal,
					guard,
					deliver: async (events) => {
						for (const event of events) {
							for (const framed of framer.accept(event)) {
								await stream.writeSSE({
									...(framed.withId ? { id: String(framed.event.seq) } : {}),
									event: framed.event.type,
									data: JSON.stringify(framed.event),
								});
							}
							if (endsTask(event)) {
								ending = { status: (event.value as { status: TaskStatus }).status, seq: event.seq };
								return true;
							}
						}
						return false;
					},
				});
				if (ended.kind === "complete" && ending) await end(ending);
				else if (ended.kind === "denied") await end({ error: { code: ended.code, message: ended.reason } });
				else if (ended.kind === "gone") await end(ended.row ? { task: toTask(ended.row) } : { deleted: true });
			} finally {
				guard.close();
			}
		});
	},
);

function lastEventId(header: string | undefined): number | undefined {
	if (header === undefined) return undefined;
	const n = Number(header);
	if (!Number.isSafeInteger(n) || n < 0) {
		throw invalid("Last-Event-ID must be a seq from this stream");
	}
	return n;
}
