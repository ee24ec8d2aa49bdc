import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { type HubConfig, hubConfig } from "./config.ts";
import { depsFor, hubRates, type RateTaker, rateRefused } from "./deps.ts";
import { failpoint } from "./faults.ts";
import { handleApprovalFrame, isApprovalFrame } from "./frames/approvals.ts";
import { handleChatFrame, isChatFrame } from "./frames/chat.ts";
import { errorFrame } from "./frames/errors.ts";
import { handleClientFrame } from "./hub/client-frames.ts";
import {
	closeQuietly,
	frameOf,
	type SocketState,
	sendBounded,
	sendControl,
	socketState,
	tokenTag,
} from "./hub/connections.ts";
import { EventLog } from "./hub/event-log.ts";
import { IntakePace } from "./hub/intake-pace.ts";
import { clampLimit } from "./hub/query.ts";
import { RateBuckets, type RateKind } from "./hub/rate-limit.ts";
import { SessionStore } from "./hub/sessions.ts";
import { STREAM_LEASE_MS, StreamLeases } from "./hub/stream-leases.ts";
import { InvalidPublishError, type UserHubApi } from "./hub/stub.ts";
import type { HubDiagnostics, PublishResult } from "./hub/types.ts";
import { replayTo, upgrade } from "./hub/upgrade.ts";
import { Waiters } from "./hub/waiters.ts";
import { log } from "./log.ts";
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
	UserIdSchema,
	type WireEvent,
} from "./protocol/index.ts";
import { hubRelay } from "./relay/hub-relay.ts";

/** How often the alarm looks at open sockets (token expiry, session liveness). */
const SOCKET_SWEEP_MS = 5 * 60_000;

/** Whom a hub passes events on to: a few other users' hubs. */
const ForwardToSchema = z.array(UserIdSchema).min(1).max(4);
/** A relay's name for itself (relay.ts): anything else counts as a call without a writer. */
const WriterSchema = z.string().min(1).max(64);

/**
 * Sparky's hub, one per user (addressed by user id): the user's hibernatable sockets and
 * sessions, the sequenced event log (the single writer of the user's `seq`) with its task
 * and chat reads, fan-out, replay, the user's rate buckets and stream leases, and the
 * application's socket frames (chats, approvals). One Durable Object with no generic layer
 * under it (docs/architecture.md says why); its pieces live in src/hub/: storage in EventLog
 * and SessionStore, sockets in connections.ts and upgrade.ts, frame parsing in
 * client-frames.ts. Its RPC surface is `UserHubApi` (hub/stub.ts).
 */
export class UserHub extends DurableObject<Env> implements UserHubApi {
	readonly #log: EventLog;
	readonly #sessions: SessionStore;
	readonly #config: HubConfig;
	/** Per-user rate limits (in memory: a restart forgives, which is fine for a limit). */
	readonly #rates: RateBuckets;
	/** This user's open HTTP streams, capped (SPARKY_MAX_STREAMS). */
	readonly #streams: StreamLeases;
	/** Long-poll readers of one task's events (the SSE route), woken by publish. */
	readonly #taskWaiters = new Waiters();
	/**
	 * Passes events on to other hubs (`publishAndForward`), each at most one call per
	 * AGENT_HUB_PACE_MS, gathered: nothing waits on a forward, and a new task's run, starting
	 * meanwhile, brings its `queued` to the agent's hub itself (the forward's copy is then dropped there).
	 */
	readonly #forwarder = hubRelay(this.env, { paced: () => true, gather: true });
	/** Publish calls since the object woke (diagnostics: the bench's calls-per-task-second). */
	#publishes = 0;
	/** The pace this hub asks its writers to keep (issue #33: many relays, one hub). */
	readonly #intake = new IntakePace();
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
			const response = upgrade(request, {
				ctx: this.ctx,
				config: this.#config,
				log: this.#log,
				sessions: this.#sessions,
				takeRate: (kind) => this.#takeRate(kind),
			});
			await this.#ensureAlarm();
			return response;
		} catch (error) {
			log.error("hub connect failed", { handler: "UserHub.fetch", error });
			return new Response("hub error", { status: 500 });
		}
	}

	// ---- Hibernation API handlers ---------------------------------------------------------

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		try {
			await handleClientFrame(ws, message, {
				// Each replay reads up to replayMaxEvents rows: at the same rate as chat.history.
				resume: (socket, frame) => {
					const rate = this.#takeRate("history");
					if (rate.ok) replayTo(socket, this.#log, frame.since, this.#config.replayMaxEvents);
					else if (frame.id !== undefined)
						sendControl(socket, errorFrame(rateRefused("history", rate.retryAfterMs), frame, ""));
					// Without an id a client can't tell the refusal is its own (HubClient before ids
					// would wait for that replay for ever): it reconnects with `since` instead.
					else closeQuietly(socket, CloseCode.slowConsumer, "too many replays asked: reconnect with since");
				},
				other: async (socket, frame) => {
					const state = socketState(socket);
					if (state) sendControl(socket, await this.#onFrame(frame, state));
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
	 * of this user: the one answer for that socket. Events they cause leave through a relay
	 * made like every other (hubRelay): what goes to this user is stored (and passed on to
	 * the agent's hub, paced, by `publishAndForward`) here directly, never by RPC to itself.
	 */
	async #onFrame(frame: ClientFrame, state: SocketState): Promise<ControlMessage> {
		const relay = hubRelay(this.env, { local: { userId: state.userId, hub: this } });
		// This user's rates are this hub's own buckets: taken directly, never by RPC to itself.
		const remote = hubRates(this.env);
		const rates: RateTaker = async (userId, kind) =>
			userId === state.userId ? this.#takeRate(kind) : remote(userId, kind);
		const deps = depsFor(this.env, relay, rates);
		try {
			if (isChatFrame(frame)) {
				return await handleChatFrame(deps, state, frame, {
					readTaskEvents: async (taskId) => this.#taskEvents(taskId, 0, 1000),
				});
			}
			if (isApprovalFrame(frame)) return await handleApprovalFrame(deps, state, frame);
			return {
				type: "error",
				code: ErrorCode.unsupportedFrame,
				message: `${frame.type} frames are not handled here`,
				...(frame.id ? { ref: frame.id } : {}),
			};
		} catch (error) {
			return errorFrame(error, frame, state.userId);
		}
	}

	// ---- RPC (UserHubApi) -----------------------------------------------------------------

	/**
	 * Numbers, stores, then sends a batch to every socket of this user (one frame for the
	 * whole batch). Events whose `id` is already stored are not stored or sent again, so a
	 * producer may safely retry a publish. The answer says how far apart `writer` (a relay)
	 * should space its next calls (hub/intake-pace.ts).
	 */
	async publish(events: PublishEvent[], writer?: string): Promise<PublishResult> {
		return this.#rpc("publish", async () => {
			this.#publishes++;
			const parsed = PublishBatchSchema.safeParse(events);
			if (!parsed.success) throw new InvalidPublishError(JSON.stringify(describeIssues(parsed.error)));
			const batch = parsed.data;
			const tasks = batch.map((e) => e.task_id);
			const now = Date.now();
			const pace = this.#intake.call(WriterSchema.safeParse(writer).data, tasks, now);
			const { seqs, fresh } = this.#log.append(batch, now, this.#retention());
			await failpoint(this.env, "hub.after-store");
			if (fresh.length > 0) this.#broadcast(frameOf(fresh));
			this.#taskWaiters.wake(tasks);
			// A pending alarm already comes before anything these events will need (their age-out
			// is the latest of all): only arm one when none is pending, so a publish reads nothing more.
			if (!this.#alarmAt) await this.#ensureAlarm();
			return { seqs, last_seq: this.#log.lastSeq, pace_ms: pace };
		});
	}

	/**
	 * Stores `events` here (as `publish`), then passes them on to the hubs of `forwardTo`,
	 * paced: what every request sends this hub within a quarter second shares one call. A new
	 * task's announcement reaches the agent's hub this way, a few calls a second per creator
	 * rather than one per task.
	 */
	async publishAndForward(events: PublishEvent[], forwardTo: string[]): Promise<PublishResult> {
		const to = ForwardToSchema.safeParse(forwardTo);
		if (!to.success) throw new InvalidPublishError("forwardTo must be 1-4 user ids");
		const result = await this.publish(events);
		// All of them, even ids stored before: a retried call may come after a crash took the first one's forward.
		for (const event of events) this.#forwarder.emit(to.data, event);
		return result;
	}

	async lastSeq(): Promise<number> {
		return this.#log.lastSeq;
	}

	/** One task's stored events after `since` (seq of this hub), oldest first. */
	async taskEvents(taskId: string, since = 0, limit = 1000): Promise<{ events: WireEvent[]; last_seq: number }> {
		return this.#rpc("taskEvents", () => ({
			events: this.#taskEvents(taskId, since, clampLimit(limit)),
			last_seq: this.#log.lastSeq,
		}));
	}

	/**
	 * Long poll: resolves with the task's events after `since` as soon as there are any, or
	 * with none after `timeoutMs`. Lets the SSE route follow a task without polling.
	 */
	async waitForTask(taskId: string, since: number, timeoutMs = 25_000): Promise<{ events: WireEvent[] }> {
		const ready = this.#taskEvents(taskId, since, 500);
		if (ready.length > 0) return { events: ready };
		await this.#taskWaiters.wait(taskId, Math.min(timeoutMs, 30_000));
		return { events: this.#taskEvents(taskId, since, 500) };
	}

	/** Takes one unit of this user's rate for `kind`; refused with how long to wait. */
	async takeRate(kind: RateKind): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
		return this.#rpc("takeRate", () => this.#takeRate(kind));
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

	/** Closes every socket opened with this credential (it was revoked). */
	async closeToken(tokenId: string, reason = "token revoked"): Promise<number> {
		return this.#rpc("closeToken", () => {
			const sockets = this.ctx.getWebSockets(tokenTag(tokenId));
			for (const ws of sockets) closeQuietly(ws, CloseCode.unauthorized, reason);
			return sockets.length;
		});
	}

	/** The counters (the bench, tests); nothing decides by them. */
	async diagnostics(): Promise<HubDiagnostics> {
		return this.#rpc("diagnostics", () => {
			const { oldestSeq, lastSeq } = this.#log.bounds();
			const { rowsWritten, rowsRead, stored } = this.#log.counters;
			const now = Date.now();
			return {
				sockets: this.ctx.getWebSockets().length,
				streams: this.#streams.count(now),
				events: this.#log.count(),
				oldest_seq: oldestSeq,
				last_seq: lastSeq,
				woke_at: this.#wokeAt,
				publishes: this.#publishes,
				writers: this.#intake.writers(now),
				streaming_tasks: this.#intake.tasks(now),
				pace_ms: this.#intake.pace(now),
				events_stored: stored,
				rows_written: rowsWritten,
				rows_read: rowsRead,
			};
		});
	}

	// ---- internals ------------------------------------------------------------------------

	#taskEvents(taskId: string, since: number, limit: number): WireEvent[] {
		return this.#log.readFor("task_id", taskId, since, limit).map((json) => JSON.parse(json) as WireEvent);
	}

	#takeRate(kind: RateKind): { ok: true } | { ok: false; retryAfterMs: number } {
		return this.#rates.take(kind, Date.now());
	}

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
