import { Hono } from "hono";
import type { SSEStreamingApi } from "hono/streaming";
import { streamSSE } from "hono/streaming";
import { type AgUiOutEvent, forClientVersion, historyToAgUiMessages, RunFollower } from "../agui/events.ts";
import { openInterrupts, type RunStart, runKey, startRun, threadChat } from "../agui/threads.ts";
import { chatHistory } from "../chats/service.ts";
import { depsFor } from "../deps.ts";
import { conflict, invalid, invalidJson, notFound, tooLarge } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { StreamGuard } from "../http/stream-guard.ts";
import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import {
	AgUiLimits,
	CustomName,
	describeIssues,
	EventType,
	LIMITS,
	RunAgentInputSchema,
	SparkyRunInputSchema,
	sparkyEvent,
	tooDeep,
	type WireEvent,
} from "../protocol/index.ts";
import { type AgUiRun, getAgUiRun } from "../storage/ag-ui-runs.ts";
import { traceparentOf } from "../telemetry/traceparent.ts";
import { followTask } from "./follow-task.ts";

/** Messages a snapshot carries (the newest). */
const SNAPSHOT_MESSAGES = 100;

/**
 * POST /api/ag-ui: an AG-UI endpoint. The body is AG-UI's `RunAgentInput`; the answer is one
 * AG-UI run as Server-Sent Events. The thread is a chat of the caller's (thread ids are per
 * user: `threadChat`) and the run a turn of it (see docs/ag-ui.md); the events carry the
 * client's own `threadId`. `Last-Event-ID` with the same body re-attaches to a run.
 */
export const agUiRoutes = new Hono<AppEnv>().post("/", requireAuth, rateLimit("chat"), async (c) => {
	const input = await readInput(c.req.raw);
	const resumeAt = lastEventId(c.req.header("Last-Event-ID"));
	const deps = depsFor(c.env);
	const viewer = c.var.auth;
	const chat = await threadChat(deps, input.threadId, viewer);
	const hub = hubFor(c.env, viewer.userId);

	const key = runKey(input);
	const known = await getAgUiRun(c.env.DB, viewer.userId, key);
	if (known && known.thread_id !== chat.id) throw conflict(`run ${input.runId} belongs to another thread`);
	if (!known && resumeAt !== undefined) throw notFound(`run ${input.runId}`);
	// The stream's place under the cap is taken before anything starts: a 409 changes nothing.
	const guard = await StreamGuard.open(c.env, viewer, c.executionCtx);
	let start: RunStart;
	try {
		start = known
			? { kind: "follow", run: known }
			: await startRun(
					deps,
					chat,
					{ ...input, runId: key },
					viewer,
					() => hub.lastSeq(),
					Date.now(),
					traceparentOf(c.req.header("traceparent")),
				);
	} catch (error) {
		guard.close();
		throw error;
	}

	if (start.kind === "snapshot") {
		guard.close();
		const page = await chatHistory(c.env, chat, SNAPSHOT_MESSAGES);
		// A thread that waits for a decision ends as its paused run did: with the interrupts to answer.
		const interrupts = await openInterrupts(c.env.DB, chat.id);
		return streamSSE(c, async (stream) => {
			const now = Date.now();
			for (const event of [
				{ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId, timestamp: now },
				{ type: EventType.MESSAGES_SNAPSHOT, messages: historyToAgUiMessages(chat.id, page.messages), timestamp: now },
				{
					type: EventType.RUN_FINISHED,
					threadId: input.threadId,
					runId: input.runId,
					outcome: interrupts.length > 0 ? { type: "interrupt", interrupts } : { type: "success" },
					timestamp: now,
				},
			]) {
				await stream.writeSSE({ data: JSON.stringify(event) });
			}
		});
	}

	const { run } = start;
	return streamSSE(c, async (stream) => {
		try {
			await streamRun(stream, run, input, resumeAt, hub, c.env, guard, c.req.raw.signal);
		} finally {
			guard.close();
		}
	});
});

/** One run's events as AG-UI, from where the client is (`resumeAt`) until it ends. */
async function streamRun(
	stream: SSEStreamingApi,
	run: AgUiRun,
	input: { threadId: string; runId: string; protocolVersion?: string },
	resumeAt: number | undefined,
	hub: ReturnType<typeof hubFor>,
	env: Env,
	guard: StreamGuard,
	signal: AbortSignal,
): Promise<void> {
	const follower = new RunFollower({ threadId: input.threadId, runId: input.runId, minAttempt: run.min_attempt });
	const send = (event: AgUiOutEvent, id?: number) => {
		const out = forClientVersion(event, input.protocolVersion);
		return stream.writeSSE({
			data: JSON.stringify(out.timestamp === undefined ? { ...out, timestamp: Date.now() } : out),
			...(id !== undefined ? { id: String(id) } : {}),
		});
	};
	let cursor = run.since_seq;
	const from = Math.max(resumeAt ?? cursor, cursor);
	// A re-attached stream: what the client had is read again, silently, to know what is open.
	let last: AgUiOutEvent | undefined;
	while (cursor < from && !follower.done) {
		const { events } = await hub.taskEvents(run.task_id, cursor, 1000);
		const before = events.filter((e) => e.seq <= from);
		for (const event of before) last = follower.accept(event).events.at(-1) ?? last;
		if (before.length === 0 || before.length < events.length) break;
		cursor = before.at(-1)?.seq ?? from;
	}
	cursor = from;
	await send(follower.start(Date.now()), from);
	if (follower.done) {
		// It had ended already: the client missed only how.
		if (last) await send(last, from);
		return;
	}
	for (const event of follower.reopen()) await send(event);
	try {
		await follow(stream, follower, run, cursor, send, hub, env, guard, signal);
	} catch (error) {
		// The cause in the log; the client hears only that the stream broke (a D1 or RPC error's
		// text is the service's inside, not the caller's business).
		log.error("AG-UI stream failed", { taskId: run.task_id, error });
		if (!follower.done && !stream.aborted) {
			await send({
				type: EventType.RUN_ERROR,
				message: "the stream failed; reconnect to go on where it stopped",
				code: "stream_failed",
			});
		}
	}
}

/** Follows the run's task until the run ends, the client leaves or the viewer's token stops opening doors. */
async function follow(
	stream: SSEStreamingApi,
	follower: RunFollower,
	{ task_id: taskId, user_id: userId }: AgUiRun,
	from: number,
	send: (event: AgUiOutEvent, id?: number) => Promise<void>,
	hub: ReturnType<typeof hubFor>,
	env: Env,
	guard: StreamGuard,
	signal: AbortSignal,
): Promise<void> {
	const ended = await followTask({
		hub,
		db: env.DB,
		taskId,
		from,
		finished: false,
		stream,
		signal,
		guard,
		deliver: async (events) => {
			for (const event of events) {
				for (const out of follower.accept(event).events) await send(out, event.seq);
				if (follower.done) return true;
			}
			return false;
		},
	});
	if (ended.kind === "denied") {
		await send({
			type: EventType.RUN_ERROR,
			message: `the stream ended: ${ended.reason}`,
			code: ended.code,
		});
		return;
	}
	if (ended.kind !== "gone") return;
	// Its events aged out (or it was deleted): end the run from what D1 says.
	const { row } = ended;
	const status: WireEvent = {
		seq: ended.cursor,
		id: `${taskId}:end`,
		ts: Date.now(),
		task_id: taskId,
		...sparkyEvent(CustomName.taskStatus, {
			task_id: taskId,
			status: row?.status ?? "cancelled",
			attempt: row?.attempts ?? 0,
			user_id: row?.user_id ?? userId,
			...(row?.error ? { error: row.error } : {}),
			...(row?.result ? { result: row.result } : {}),
		}),
	};
	for (const out of follower.accept(status).events) await send(out);
}

/** The body: AG-UI's `RunAgentInput` (its own schema), then what Sparky needs of it. */
async function readInput(request: Request) {
	let body: unknown;
	const text = await readCapped(request, AgUiLimits.bodyBytes);
	try {
		body = JSON.parse(text);
	} catch {
		throw invalidJson("request body is not valid JSON");
	}
	if (tooDeep(body, LIMITS.jsonDepth)) throw invalid(`request body nests deeper than ${LIMITS.jsonDepth} levels`);
	const agUi = RunAgentInputSchema.safeParse(body);
	if (!agUi.success) throw invalid("request body is not an AG-UI RunAgentInput", describeIssues(agUi.error as never));
	const sparky = SparkyRunInputSchema.safeParse(body);
	if (!sparky.success) throw invalid("invalid request body", describeIssues(sparky.error));
	return {
		...sparky.data,
		// AG-UI 1.0 clients declare it; older ones read some events differently (forClientVersion).
		protocolVersion: agUi.data.protocolVersion,
		messages: agUi.data.messages as { id: string; role: string; [k: string]: unknown }[],
	};
}

/**
 * The body as text, at most `max` bytes: a run may carry inline images and documents, so this
 * route has its own cap (AgUiLimits.bodyBytes) instead of the API's 1 MiB. A declared length
 * over it is refused before a byte is read; a chunked body, once it passes it.
 */
async function readCapped(request: Request, max: number): Promise<string> {
	const over = () => tooLarge(`request body over ${max} bytes (send big files with POST /api/files, then their ids)`);
	if (Number(request.headers.get("Content-Length") ?? 0) > max) throw over();
	if (!request.body) return "";
	const decoder = new TextDecoder();
	let text = "";
	let bytes = 0;
	for await (const chunk of request.body) {
		bytes += chunk.byteLength;
		if (bytes > max) throw over();
		text += decoder.decode(chunk, { stream: true });
	}
	return text + decoder.decode();
}

function lastEventId(header: string | undefined): number | undefined {
	if (header === undefined) return undefined;
	const n = Number(header);
	if (!Number.isSafeInteger(n) || n < 0) throw invalid("Last-Event-ID must be an id from this run's stream");
	return n;
}
