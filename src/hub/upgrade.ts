import type { HubConfig } from "../config.ts";
import { ErrorCode, LIMITS, SUBPROTOCOL } from "../protocol/index.ts";
import {
	attach,
	CONNECT_INFO_HEADER,
	ConnectInfoSchema,
	closedForBacklog,
	refusal,
	sendBounded,
	sendControl,
	sendEvents,
	sessionTag,
	tokenTag,
} from "./connections.ts";
import type { EventLog } from "./event-log.ts";
import { parseCursor } from "./query.ts";
import type { RateKind } from "./rate-limit.ts";
import type { SessionStore } from "./sessions.ts";

/** What a socket's upgrade needs of its hub. */
export interface UpgradeDeps {
	ctx: DurableObjectState;
	config: HubConfig;
	log: EventLog;
	sessions: SessionStore;
	takeRate(kind: RateKind): { ok: true } | { ok: false; retryAfterMs: number };
}

/**
 * A socket's upgrade (the Worker authenticated the caller and says who in a header): capped
 * (409) and rate limited (429) like anything a user creates, given a session, accepted with
 * its credential's and session's tags, told its session, and sent what it missed. Synchronous
 * from accept to the last replayed frame: no publish can slip in between.
 */
export function upgrade(request: Request, hub: UpgradeDeps): Response {
	if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
		return new Response("expected a WebSocket upgrade", { status: 426 });
	}
	const info = ConnectInfoSchema.parse(JSON.parse(request.headers.get(CONNECT_INFO_HEADER) ?? "null"));
	const open = hub.ctx.getWebSockets().length;
	if (open >= hub.config.maxSockets) {
		return refusal(409, ErrorCode.conflict, `you have ${open} open sockets, the most one user may have`, {
			limit: hub.config.maxSockets,
			cap: "SPARKY_MAX_SOCKETS",
		});
	}
	const rate = hub.takeRate("sockets");
	if (!rate.ok) {
		const seconds = Math.max(1, Math.ceil(rate.retryAfterMs / 1000));
		return refusal(
			429,
			ErrorCode.rateLimited,
			`too many new sockets; retry in ${seconds} s`,
			{ retry_after_ms: rate.retryAfterMs },
			{ "Retry-After": String(seconds) },
		);
	}
	const url = new URL(request.url);
	const since = parseCursor(url.searchParams.get("since"));
	const now = Date.now();
	const { session, resumed } = hub.sessions.open(
		url.searchParams.get("session_id") ?? undefined,
		info.userId,
		info.tokenId,
		now,
		hub.config.sessionTtlMs,
	);

	const { 0: client, 1: server } = new WebSocketPair();
	hub.ctx.acceptWebSocket(server, [tokenTag(info.tokenId), sessionTag(session.id)]);
	attach(server, {
		sessionId: session.id,
		userId: info.userId,
		tokenId: info.tokenId,
		role: info.role,
		connectedAt: now,
		tokenExpiresAt: info.tokenExpiresAt,
	});
	const bounds = hub.log.bounds();
	sendControl(server, {
		type: "session",
		session_id: session.id,
		user_id: info.userId,
		resumed,
		last_seq: bounds.lastSeq,
		oldest_seq: bounds.oldestSeq,
		expires_at: session.expires_at,
	});
	if (since !== undefined) replayTo(server, hub.log, since, hub.config.replayMaxEvents);

	const headers = info.offeredProtocols ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : undefined;
	return new Response(null, { status: 101, webSocket: client, headers });
}

/**
 * Sends one socket everything after `since` (at most `maxEvents` and `LIMITS.replayBytes`, the
 * newest), then a `replay.done` marker. The log keeps far more than a tab needs (each task's
 * whole stream, for its readers over HTTP); a tab further behind than that is told
 * `replay_limit`, gets the newest, and loads the rest of what it shows over HTTP, as after
 * retention.
 */
export function replayTo(ws: WebSocket, log: EventLog, since: number, maxEvents: number): void {
	const { oldestSeq, lastSeq } = log.bounds();
	let from = since;
	let reason: "retention" | "cursor_ahead" | "replay_limit" | undefined;
	if (since > lastSeq || since < oldestSeq - 1) {
		reason = since > lastSeq ? "cursor_ahead" : "retention";
		from = oldestSeq - 1;
	}
	if (lastSeq - from > maxEvents) {
		reason = "replay_limit";
		from = lastSeq - maxEvents;
	}
	const fits = log.tailStart(from, LIMITS.replayBytes);
	if (fits > from) {
		reason = "replay_limit";
		from = fits;
	}
	if (reason) {
		const notice = { type: "replay.truncated", since, oldest_seq: from + 1, last_seq: lastSeq, reason } as const;
		if (!sendBounded(ws, JSON.stringify([notice]))) return;
	}
	// Through the same buffer limit as live sends: a client that asks for the log again and
	// again without reading is closed with 4008, not handed another copy.
	if (closedForBacklog(ws)) return;
	const events = log.readAfter(from, Number.MAX_SAFE_INTEGER);
	sendEvents(ws, events, JSON.stringify([{ type: "replay.done", since, count: events.length, last_seq: lastSeq }]));
}
