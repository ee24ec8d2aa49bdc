import { DurableObject } from "cloudflare:workers";
import { type HubConfig, hubConfig } from "../config.ts";
import { failpoint } from "../faults.ts";
import { log } from "../log.ts";
import {
	AUTO_PING,
	AUTO_PONG,
	type ClientFrame,
	CloseCode,
	type ControlMessage,
	describeIssues,
	ErrorCode,
	PublishBatchSchema,
	type PublishEvent,
	SUBPROTOCOL,
	type WireEvent,
} from "../protocol/index.ts";
import { handleClientFrame } from "./client-frames.ts";
import {
	attach,
	CONNECT_INFO_HEADER,
	ConnectInfoSchema,
	closedForBacklog,
	closeQuietly,
	frameOf,
	refusal,
	type SocketState,
	sendBounded,
	sendControl,
	sendEvents,
	sessionTag,
	socketState,
	tokenTag,
} from "./connections.ts";
import { EventLog } from "./event-log.ts";
import { clampLimit, parseCursor } from "./query.ts";
import { RateBuckets, type RateKind } from "./rate-limit.ts";
import { SessionStore } from "./sessions.ts";
import { STREAM_LEASE_MS, StreamLeases } from "./stream-leases.ts";
import type { HubStats, PublishResult, ReplayResult, SessionInfo } from "./types.ts";
import { Waiters } from "./waiters.ts";

/** How often the alarm looks at open sockets (token expiry, session liveness). */
const SOCKET_SWEEP_MS = 5 * 60_000;

/**
 * One per user (addressed by user id). Holds the user's hibernatable WebSockets, session
 * map and event log; the single writer of the user's `seq`. A store-and-fan-out part: it
 * knows sockets, sessions, the log, replay and the per-user limits, and nothing of what
 * the events mean. Frames it doesn't own reach the application through `onFrame`, which a
 * subclass overrides (as partyserver's `Server` hands `onMessage` to its application).
 * Entry points stay small: storage lives in EventLog / SessionStore, sockets in connections.ts.
 */
export class Hub extends DurableObject<Env> {
	readonly #log: EventLog;
	readonly #sessions: SessionStore;
	readonly #config: HubConfig;
	/** Per-user rate limits (in memory: a restart forgives, which is fine for a limit). */
	readonly #rates: RateBuckets;
	/** This user's open HTTP streams, capped (SPARKY_MAX_STREAMS). */
	readonly #streams: StreamLeases;
	/** Long-poll readers of one task's events (the SSE route), woken by publish. */
	readonly #taskWaiters = new Waiters();
	/** Publish calls since the object woke (the bench's calls-per-task-second). */
	#publishes = 0;
	readonly #wokeAt = Date.now();
	/** The pending alarm as last seen: undefined = not read yet since wake-up, null = none. */
	#alarmAt: number | null | undefined;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.#config = hubConfig(env);
		this.#rates = new RateBuckets(this.#config.rates);
		this.#streams = new StreamLeases(this.#config.maxStreams, STREAM_LEASE_MS);
		this.#log = new EventLog(ctx.storage);
		this.#sessions = new SessionStore(ctx.storage.sql);
		// Answered by the runtime itself: an idle tab's keep-alive never wakes the object.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(AUTO_PING, AUTO_PONG));
	}

	// ---- WebSocket upgrade (internal: the Worker authenticated the caller) ---------------

	override async fetch(request: Request): Promise<Response> {
		try {
			const response = this.#connect(request);
			await this.#ensureAlarm();
			return response;
		} catch (error) {
			log.error("hub connect failed", { handler: "UserHub.fetch", error });
			return new Response("hub error", { status: 500 });
		}
	}

	/** Synchronous from accept to the last replayed frame: no publish can slip in between. */
	#connect(request: Request): Response {
		if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
			return new Response("expected a WebSocket upgrade", { status: 426 });
		}
		const info = ConnectInfoSchema.parse(JSON.parse(request.headers.get(CONNECT_INFO_HEADER) ?? "null"));
		// Sockets are something a user creates: capped (409) and rate limited (429) like the rest.
		const open = this.ctx.getWebSockets().length;
		if (open >= this.#config.maxSockets) {
			return refusal(409, ErrorCode.conflict, `you have ${open} open sockets, the most one user may have`, {
				limit: this.#config.maxSockets,
				cap: "SPARKY_MAX_SOCKETS",
			});
		}
		const rate = this.#takeRate("sockets");
		if (!rate.ok) {
			const seconds = Math.max(1, Math.ceil(rate.retryAfterMs / 1000));
			return refusal(
				429,
				ErrorCode.rateLimited,
				`too many new sockets; retry in ${seconds} s`,
				{
					retry_after_ms: rate.retryAfterMs,
				},
				{ "Retry-After": String(seconds) },
			);
		}
		const url = new URL(request.url);
		const since = parseCursor(url.searchParams.get("since"));
		const now = Date.now();
		const { session, resumed } = this.#sessions.open(
			url.searchParams.get("session_id") ?? undefined,
			info.userId,
			info.tokenId,
			now,
			this.#config.sessionTtlMs,
		);

		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server, [tokenTag(info.tokenId), sessionTag(session.id)]);
		attach(server, {
			sessionId: session.id,
			userId: info.userId,
			tokenId: info.tokenId,
			role: info.role,
			connectedAt: now,
			tokenExpiresAt: info.tokenExpiresAt,
		});
		const bounds = this.#log.bounds();
		sendControl(server, {
			type: "session",
			session_id: session.id,
			user_id: info.userId,
			resumed,
			last_seq: bounds.lastSeq,
			oldest_seq: bounds.oldestSeq,
			expires_at: session.expires_at,
		});
		if (since !== undefined) this.#replayTo(server, since);

		const headers = info.offeredProtocols ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : undefined;
		return new Response(null, { status: 101, webSocket: client, headers });
	}

	/** Sends everything after `since` to one socket, then a `replay.done` marker. */
	#replayTo(ws: WebSocket, since: number): void {
		const { oldestSeq, lastSeq } = this.#log.bounds();
		let from = since;
		if (since > lastSeq || since < oldestSeq - 1) {
			const reason = since > lastSeq ? "cursor_ahead" : "retention";
			const notice = { type: "replay.truncated", since, oldest_seq: oldestSeq, last_seq: lastSeq, reason } as const;
			if (!sendBounded(ws, JSON.stringify([notice]))) return;
			from = oldestSeq - 1;
		}
		// Through the same buffer limit as live sends: a client that asks for the log again and
		// again without reading is closed with 4008, not handed another copy.
		if (closedForBacklog(ws)) return;
		const events = this.#log.readAfter(from, Number.MAX_SAFE_INTEGER);
		sendEvents(ws, events, JSON.stringify([{ type: "replay.done", since, count: events.length, last_seq: lastSeq }]));
	}

	// ---- Hibernation API handlers ---------------------------------------------------------

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		try {
			await handleClientFrame(ws, message, {
				resume: (socket, since) => this.#replayTo(socket, since),
				other: async (socket, frame) => {
					const state = socketState(socket);
					if (!state) return;
					const ref = frame.id ? { ref: frame.id } : {};
					const answer = (await this.onFrame(frame, state)) ?? {
						type: "error",
						code: ErrorCode.unsupportedFrame,
						message: `${frame.type} frames are not handled here`,
						...ref,
					};
					sendControl(socket, answer);
				},
			});
		} catch (error) {
			log.error("hub handler failed", { handler: "UserHub.webSocketMessage", error });
		}
	}

	override webSocketClose(ws: WebSocket, code: number, reason: string): void {
		this.#guard("webSocketClose", () => {
			const state = socketState(ws);
			if (state) this.#sessions.touch([state.sessionId], Date.now(), this.#config.sessionTtlMs);
			// 1005/1006 can't be sent back; answer everything else with the client's code.
			closeQuietly(ws, code === 1005 || code === 1006 ? CloseCode.normal : code, reason);
		});
	}

	override webSocketError(ws: WebSocket, error: unknown): void {
		this.#guard("webSocketError", () => {
			log.warn("hub socket error", { handler: "UserHub.webSocketError", session: socketState(ws)?.sessionId, error });
		});
	}

	override async alarm(): Promise<void> {
		try {
			this.#sweep(Date.now());
		} catch (error) {
			log.error("hub alarm failed", { handler: "UserHub.alarm", error });
		}
		// Always re-arm, even after a failed sweep, so cleanup is never abandoned.
		this.#alarmAt = null;
		await this.#ensureAlarm();
	}

	/**
	 * The application's frames (everything but ping and resume), from an authenticated socket
	 * of this user. Returns the one answer for that socket, or undefined when it isn't one the
	 * application handles. Must not throw: errors become `error` answers.
	 */
	protected async onFrame(_frame: ClientFrame, _state: SocketState): Promise<ControlMessage | undefined> {
		return undefined;
	}

	// ---- RPC ------------------------------------------------------------------------------

	/**
	 * Numbers, stores, then sends a batch to every socket of this user (one frame for the
	 * whole batch). Events whose `id` is already stored are not stored or sent again, so a
	 * producer may safely retry a publish.
	 */
	async publish(events: PublishEvent[]): Promise<PublishResult> {
		return this.#rpc("publish", async () => {
			this.#publishes++;
			const parsed = PublishBatchSchema.safeParse(events);
			if (!parsed.success)
				throw new TypeError(`invalid publish batch: ${JSON.stringify(describeIssues(parsed.error))}`);
			const batch = parsed.data;
			const { seqs, fresh } = this.#log.append(batch, Date.now(), this.#retention());
			await failpoint(this.env, "hub.after-store");
			if (fresh.length > 0) this.#broadcast(frameOf(fresh));
			this.#taskWaiters.wake(batch.map((e) => e.task_id));
			// A pending alarm already comes before anything these events will need (their age-out
			// is the latest of all): only arm one when none is pending, so a publish reads nothing more.
			if (!this.#alarmAt) await this.#ensureAlarm();
			return { seqs, last_seq: this.#log.lastSeq };
		});
	}

	/** Stored events after `since` (at most `limit`), for HTTP readers and tests. */
	async replay(since = 0, limit = 1000): Promise<ReplayResult> {
		return this.#rpc("replay", () => {
			const { oldestSeq, lastSeq } = this.#log.bounds();
			const events = this.#log.readAfter(since, clampLimit(limit)).map((json) => JSON.parse(json) as WireEvent);
			return { events, truncated: since < oldestSeq - 1, oldest_seq: oldestSeq, last_seq: lastSeq };
		});
	}

	/** One task's stored events after `since` (seq of this hub), oldest first. */
	async taskEvents(taskId: string, since = 0, limit = 1000): Promise<{ events: WireEvent[]; last_seq: number }> {
		return this.#rpc("taskEvents", () => ({
			events: this.#log
				.readFor("task_id", taskId, since, clampLimit(limit))
				.map((json) => JSON.parse(json) as WireEvent),
			last_seq: this.#log.lastSeq,
		}));
	}

	/**
	 * Long poll: resolves with the task's events after `since` as soon as there are any, or
	 * with none after `timeoutMs`. Lets the SSE route follow a task without polling.
	 */
	async waitForTask(taskId: string, since: number, timeoutMs = 25_000): Promise<{ events: WireEvent[] }> {
		const read = () => this.#log.readFor("task_id", taskId, since, 500).map((json) => JSON.parse(json) as WireEvent);
		const ready = read();
		if (ready.length > 0) return { events: ready };
		await this.#taskWaiters.wait(taskId, Math.min(timeoutMs, 30_000));
		return { events: read() };
	}

	/** Takes one unit of this user's rate for `kind`; refused with how long to wait. */
	async takeRate(kind: RateKind): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
		return this.#rpc("takeRate", () => this.#takeRate(kind));
	}

	#takeRate(kind: RateKind): { ok: true } | { ok: false; retryAfterMs: number } {
		return this.#rates.take(kind, Date.now());
	}

	/**
	 * Counts one more open HTTP stream of this user (SSE, AG-UI, long poll), or says the cap
	 * is reached. The stream renews its lease while it lasts and closes it at the end.
	 */
	async openStream(): Promise<{ ok: true; lease: string } | { ok: false; open: number; limit: number }> {
		return this.#rpc("openStream", () => this.#streams.open(Date.now()));
	}

	/** Keeps an open stream's lease; false when it had lapsed (the stream must end). */
	async renewStream(lease: string): Promise<boolean> {
		return this.#rpc("renewStream", () => isLeaseId(lease) && this.#streams.renew(lease, Date.now()));
	}

	async closeStream(lease: string): Promise<void> {
		return this.#rpc("closeStream", () => {
			if (isLeaseId(lease)) this.#streams.close(lease);
		});
	}

	async sessions(): Promise<SessionInfo[]> {
		return this.#rpc("sessions", () => {
			const counts = new Map<string, number>();
			for (const ws of this.ctx.getWebSockets()) {
				const id = socketState(ws)?.sessionId;
				if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
			}
			return this.#sessions.list().map((row) => ({ ...row, sockets: counts.get(row.id) ?? 0 }));
		});
	}

	/** Closes every socket opened with this credential (it was revoked). */
	async closeToken(tokenId: string, reason = "token revoked"): Promise<number> {
		return this.#rpc("closeToken", () => {
			const sockets = this.ctx.getWebSockets(tokenTag(tokenId));
			for (const ws of sockets) closeQuietly(ws, CloseCode.unauthorized, reason);
			return sockets.length;
		});
	}

	async stats(): Promise<HubStats> {
		return this.#rpc("stats", () => {
			const { oldestSeq, lastSeq } = this.#log.bounds();
			const { rowsWritten, rowsRead, stored } = this.#log.counters;
			return {
				sockets: this.ctx.getWebSockets().length,
				streams: this.#streams.count(Date.now()),
				events: this.#log.count(),
				oldest_seq: oldestSeq,
				last_seq: lastSeq,
				woke_at: this.#wokeAt,
				publishes: this.#publishes,
				events_stored: stored,
				rows_written: rowsWritten,
				rows_read: rowsRead,
			};
		});
	}

	// ---- internals ------------------------------------------------------------------------

	#broadcast(frame: string): void {
		// A socket that stopped reading must not grow this object's memory, nor slow the
		// others: sendBounded closes it past the buffer limit (replays pass the same door).
		for (const ws of this.ctx.getWebSockets()) sendBounded(ws, frame);
	}

	#retention() {
		return { maxCount: this.#config.retentionCount, maxAgeMs: this.#config.retentionMs };
	}

	/** Alarm work: expire credentials and sessions, keep live sessions fresh, age out events. */
	#sweep(now: number): void {
		const open = new Set<string>();
		for (const ws of this.ctx.getWebSockets()) {
			const state = socketState(ws);
			if (!state) continue;
			if (state.tokenExpiresAt !== null && state.tokenExpiresAt <= now) {
				closeQuietly(ws, CloseCode.unauthorized, "token expired");
				continue;
			}
			open.add(state.sessionId);
		}
		this.#sessions.touch(open, now, this.#config.sessionTtlMs);
		const sessionsDropped = this.#sessions.sweep(now, open);
		const eventsDropped = this.#log.pruneByAge(now, this.#config.retentionMs);
		if (sessionsDropped || eventsDropped) log.info("hub sweep", { sessionsDropped, eventsDropped });
	}

	/** Keeps one alarm pending, at the earliest moment something will need cleaning up. */
	async #ensureAlarm(): Promise<void> {
		if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
		const next = this.#nextSweep(Date.now());
		if (next === undefined || (this.#alarmAt !== null && this.#alarmAt <= next)) return;
		this.#alarmAt = next;
		await this.ctx.storage.setAlarm(next);
	}

	#nextSweep(now: number): number | undefined {
		const oldestAt = this.#log.oldestStoredAt();
		const candidates = [
			this.ctx.getWebSockets().length > 0 ? now + SOCKET_SWEEP_MS : undefined,
			this.#sessions.nextExpiry(),
			oldestAt === undefined ? undefined : oldestAt + this.#config.retentionMs,
		].filter((at): at is number => at !== undefined);
		if (candidates.length === 0) return undefined;
		return Math.max(now + 1000, Math.min(...candidates));
	}

	#guard(handler: string, body: () => void): void {
		try {
			body();
		} catch (error) {
			log.error("hub handler failed", { handler: `UserHub.${handler}`, error });
		}
	}

	async #rpc<T>(method: string, body: () => T | Promise<T>): Promise<T> {
		try {
			return await body();
		} catch (error) {
			log.error("hub rpc failed", { handler: `UserHub.${method}`, error });
			throw error;
		}
	}
}

/** A lease id as `StreamLeases` hands them out: `<epoch>.<uuid>`. */
const isLeaseId = (lease: unknown): lease is string =>
	typeof lease === "string" && /^[0-9a-f]{8}\.[0-9a-f-]{36}$/.test(lease);
