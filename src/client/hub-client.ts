import {
	AUTH_SUBPROTOCOL_PREFIX,
	AUTO_PING,
	type ClientEvent,
	type ClientFrame,
	CloseCode,
	type ControlMessage,
	ErrorCode,
	SUBPROTOCOL,
} from "../protocol/index.ts";
import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { EventCursor } from "./cursor.ts";
import { parseServerFrame } from "./parse.ts";

/** The id of this client's `resume` frames, so a refusal (an `error` with this ref) is known. */
const RESUME_ID = "resume";

export type HubClientStatus = "connecting" | "open" | "reconnecting" | "closed";

export type HubClientAuth =
	/** The token travels in the `Sec-WebSocket-Protocol` header, never in the URL. */
	| { token: string }
	/** A fresh single-use ticket per connection (from `POST /api/ws-ticket`). */
	| { ticket: () => Promise<string> };

export interface HubClientOptions {
	/** Service base URL, e.g. `http://127.0.0.1:8787`. */
	baseUrl: string;
	auth: HubClientAuth;
	/** Resume after this seq on the first connect; omitted: start live from now. */
	since?: number;
	sessionId?: string;
	/** Each event once, in order, typed (`ClientEvent`: an unknown type or custom name arrives as the `unknown` variant). */
	onEvent: (event: ClientEvent) => void;
	onControl?: (message: ControlMessage) => void;
	onStatus?: (status: HubClientStatus, detail?: { code?: number; reason?: string }) => void;
	backoff?: BackoffOptions;
	/** Ping interval; a socket silent for twice this long is treated as dead. 0 disables. */
	heartbeatMs?: number;
	WebSocket?: typeof WebSocket;
}

/**
 * A reconnecting hub connection. Applies each event exactly once and in order
 * (`EventCursor`), resumes from the last seq after any drop, and asks for a replay
 * when it notices a gap. Runs in browsers, Deno and Node (web-standard APIs only).
 */
export class HubClient {
	readonly #options: HubClientOptions;
	readonly #cursor: EventCursor;
	#socket: WebSocket | undefined;
	#sessionId: string | undefined;
	#attempt = 0;
	#stopped = false;
	#replaying = false;
	#firstConnect: boolean;
	#reconnectTimer: ReturnType<typeof setTimeout> | undefined;
	#heartbeatTimer: ReturnType<typeof setInterval> | undefined;
	#resumeTimer: ReturnType<typeof setTimeout> | undefined;
	#lastHeard = 0;

	constructor(options: HubClientOptions) {
		this.#options = options;
		this.#cursor = new EventCursor(options.since ?? 0);
		this.#sessionId = options.sessionId;
		this.#firstConnect = options.since === undefined;
	}

	get lastSeq(): number {
		return this.#cursor.lastSeq;
	}

	get sessionId(): string | undefined {
		return this.#sessionId;
	}

	connect(): void {
		this.#stopped = false;
		void this.#open();
	}

	/** Sends a client frame; false when the socket is not open. */
	send(frame: ClientFrame): boolean {
		if (this.#socket?.readyState !== 1) return false;
		this.#socket.send(JSON.stringify(frame));
		return true;
	}

	/** Drops the current socket without stopping: the client reconnects and resumes. */
	drop(): void {
		this.#socket?.close(CloseCode.normal, "client drop");
	}

	close(): void {
		this.#stopped = true;
		if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
		this.#stopReplayRetry();
		this.#stopHeartbeat();
		this.#socket?.close(CloseCode.normal, "client closed");
		this.#options.onStatus?.("closed");
	}

	async #open(): Promise<void> {
		this.#options.onStatus?.(this.#attempt === 0 ? "connecting" : "reconnecting");
		let socket: WebSocket;
		try {
			const { url, protocols } = await this.#target();
			if (this.#stopped) return;
			const Impl = this.#options.WebSocket ?? WebSocket;
			socket = new Impl(url, protocols);
		} catch (error) {
			this.#scheduleReconnect({ reason: String(error) });
			return;
		}
		this.#socket = socket;
		socket.addEventListener("open", () => {
			this.#attempt = 0;
			this.#lastHeard = Date.now();
			this.#startHeartbeat(socket);
			this.#options.onStatus?.("open");
		});
		socket.addEventListener("message", (message) => {
			this.#lastHeard = Date.now();
			if (typeof message.data === "string") this.#onFrame(message.data);
		});
		socket.addEventListener("close", (event) => {
			if (this.#socket !== socket) return;
			this.#stopHeartbeat();
			this.#socket = undefined;
			// The reconnect's own `since` replays what was missed.
			this.#replaying = false;
			this.#stopReplayRetry();
			if (event.code === CloseCode.unauthorized) {
				this.#stopped = true;
				this.#options.onStatus?.("closed", { code: event.code, reason: event.reason });
				return;
			}
			this.#scheduleReconnect({ code: event.code, reason: event.reason });
		});
	}

	async #target(): Promise<{ url: string; protocols: string[] }> {
		const url = new URL("/api/ws", this.#options.baseUrl);
		url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
		if (!this.#firstConnect) url.searchParams.set("since", String(this.#cursor.lastSeq));
		if (this.#sessionId) url.searchParams.set("session_id", this.#sessionId);
		const protocols = [SUBPROTOCOL];
		const auth = this.#options.auth;
		if ("token" in auth) protocols.push(AUTH_SUBPROTOCOL_PREFIX + auth.token);
		else url.searchParams.set("ticket", await auth.ticket());
		return { url: url.toString(), protocols };
	}

	#onFrame(data: string): void {
		const parsed = parseServerFrame(data);
		if ("error" in parsed) return;
		for (const item of parsed.items) {
			if (item.kind === "control") {
				this.#onControl(item.message);
				continue;
			}
			const verdict = this.#cursor.accept(item.event);
			if (verdict.kind === "new") this.#options.onEvent(item.event);
			else if (verdict.kind === "gap" && !this.#replaying) {
				// Something was missed (e.g. a frame lost in a proxy): ask for it again.
				this.#replaying = true;
				this.#askReplay();
			}
		}
	}

	#onControl(message: ControlMessage): void {
		if (message.type === "session") {
			this.#sessionId = message.session_id;
			if (this.#firstConnect) {
				// Started live: everything up to now counts as seen.
				this.#firstConnect = false;
				this.#cursor.rebase(message.last_seq + 1);
			} else if (message.last_seq < this.#cursor.lastSeq) {
				// The server's log is behind our cursor (its state was reset): start over from its oldest event.
				this.#cursor.rebase(message.oldest_seq);
			}
		} else if (message.type === "replay.truncated") {
			this.#cursor.rebase(message.oldest_seq);
		} else if (message.type === "replay.done") {
			this.#replaying = false;
		} else if (message.type === "error" && message.ref === RESUME_ID && this.#replaying) {
			// Refused past the hub's replay rate: ask again once it allows. Refused otherwise (not
			// expected): a reconnect's `since` replays instead.
			const retryAfterMs = Number((message.details as { retry_after_ms?: unknown } | undefined)?.retry_after_ms);
			this.#stopReplayRetry();
			if (message.code === ErrorCode.rateLimited && retryAfterMs > 0)
				this.#resumeTimer = setTimeout(() => this.#askReplay(), retryAfterMs);
			else this.drop();
		}
		this.#options.onControl?.(message);
	}

	/** Everything after the cursor again, on this socket (a gap was seen). */
	#askReplay(): void {
		this.#resumeTimer = undefined;
		if (this.#replaying) this.send({ type: "resume", id: RESUME_ID, since: this.#cursor.lastSeq });
	}

	#stopReplayRetry(): void {
		if (this.#resumeTimer !== undefined) clearTimeout(this.#resumeTimer);
		this.#resumeTimer = undefined;
	}

	#scheduleReconnect(detail: { code?: number; reason?: string }): void {
		if (this.#stopped) return;
		this.#options.onStatus?.("reconnecting", detail);
		const delay = backoffDelay(this.#attempt++, this.#options.backoff);
		this.#reconnectTimer = setTimeout(() => void this.#open(), delay);
	}

	#startHeartbeat(socket: WebSocket): void {
		const every = this.#options.heartbeatMs ?? 25_000;
		if (every <= 0) return;
		this.#heartbeatTimer = setInterval(() => {
			if (Date.now() - this.#lastHeard > every * 2) {
				socket.close(CloseCode.normal, "heartbeat timeout");
				return;
			}
			if (socket.readyState === 1) socket.send(AUTO_PING);
		}, every);
	}

	#stopHeartbeat(): void {
		if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
		this.#heartbeatTimer = undefined;
	}
}
