/**
 * A hub client for the suite that keeps score: every seq it received across reconnects,
 * gaps and duplicates, and events that should not be there. It resumes with `since` = the
 * last seq it applied, like the real client.
 */
export interface SeenEvent {
	seq: number;
	id: string;
	type: string;
	task_id?: string;
	chat_id?: string;
	name?: string;
	value?: { status?: string; user_id?: string };
}

export class TrackedSocket {
	lastSeq = 0;
	received = 0;
	gaps = 0;
	duplicates = 0;
	reconnects = 0;
	closeCodes: number[] = [];
	readonly ids = new Set<string>();
	#ws: WebSocket | undefined;
	#sessionId: string | undefined;
	#replayDone: (() => void) | undefined;
	#closed: (() => void) | undefined;

	constructor(
		readonly url: string,
		readonly token: string,
		readonly onEvent: (socket: TrackedSocket, event: SeenEvent) => void = () => {},
		/** Keep every event id (for "was it replayable" checks); off for the big load sockets. */
		readonly keepIds = false,
	) {}

	/** Connects (or reconnects) and resolves once the replay (if any) is done. */
	async open(options: { since?: number } = {}): Promise<void> {
		const target = new URL("/api/ws", this.url.replace(/^http/, "ws"));
		const since = options.since ?? (this.received > 0 ? this.lastSeq : undefined);
		if (since !== undefined) target.searchParams.set("since", String(since));
		if (this.#sessionId) target.searchParams.set("session_id", this.#sessionId);
		const ws = new WebSocket(target, ["sparky.v1", `sparky.auth.${this.token}`]);
		this.#ws = ws;
		const ready = new Promise<void>((resolve, reject) => {
			// Generous: under CI's load (two lanes of suites on two cores) a reconnect in the middle of
			// the load test's submission storm has taken over 30 s to be answered.
			const timer = setTimeout(() => reject(new Error("socket did not become ready in 60 s")), 60_000);
			this.#replayDone = () => {
				clearTimeout(timer);
				resolve();
			};
			ws.addEventListener("error", () => {
				clearTimeout(timer);
				reject(new Error("socket error while opening"));
			});
		});
		ws.addEventListener("message", (m) => this.#onFrame(String(m.data), since === undefined));
		ws.addEventListener("close", (e) => {
			this.closeCodes.push(e.code);
			this.#closed?.();
		});
		await ready;
	}

	#onFrame(data: string, live: boolean): void {
		for (const item of JSON.parse(data) as (SeenEvent & { type: string; session_id?: string; last_seq?: number })[]) {
			if (typeof item.seq !== "number") {
				if (item.type === "session") {
					this.#sessionId = item.session_id;
					if (live && this.received === 0) this.lastSeq = item.last_seq ?? 0;
					if (live) this.#replayDone?.();
				}
				if (item.type === "replay.done") this.#replayDone?.();
				continue;
			}
			if (item.seq <= this.lastSeq) {
				this.duplicates++;
				continue;
			}
			if (item.seq !== this.lastSeq + 1) this.gaps++;
			this.lastSeq = item.seq;
			this.received++;
			if (this.keepIds) this.ids.add(item.id);
			this.onEvent(this, item);
		}
	}

	/** Drops the connection (as a network failure would) and waits for the close. */
	async drop(): Promise<void> {
		const ws = this.#ws;
		if (!ws || ws.readyState === WebSocket.CLOSED) return;
		const closed = new Promise<void>((resolve) => {
			this.#closed = resolve;
		});
		ws.close(1000, "drop");
		await closed;
	}

	async resume(): Promise<void> {
		this.reconnects++;
		await this.open({ since: this.lastSeq });
	}

	get isOpen(): boolean {
		return this.#ws?.readyState === WebSocket.OPEN;
	}

	close(): void {
		this.#ws?.close(1000, "done");
	}
}
