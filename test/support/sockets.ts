import { exports } from "cloudflare:workers";
import type { ControlMessage, HubEvent, ServerItem } from "../../src/protocol/index.ts";
import { BASE } from "./api.ts";

export interface OpenOptions {
	token?: string;
	ticket?: string;
	since?: number;
	sessionId?: string;
	/** Raw query string to append (for hostile-input tests). */
	query?: string;
	headers?: Record<string, string>;
}

/** Opens a hub socket through the Worker; resolves to the raw upgrade response. */
export async function upgrade(options: OpenOptions): Promise<Response> {
	const url = new URL("/api/ws", BASE);
	if (options.ticket !== undefined) url.searchParams.set("ticket", options.ticket);
	if (options.since !== undefined) url.searchParams.set("since", String(options.since));
	if (options.sessionId) url.searchParams.set("session_id", options.sessionId);
	const headers = new Headers({ Upgrade: "websocket", ...options.headers });
	if (options.token) headers.set("Sec-WebSocket-Protocol", `sparky.v1, sparky.auth.${options.token}`);
	const target = options.query ? `${url.toString()}${url.search ? "&" : "?"}${options.query}` : url.toString();
	return exports.default.fetch(target, { headers });
}

export async function connect(options: OpenOptions): Promise<SocketRecorder> {
	const res = await upgrade(options);
	if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
	return new SocketRecorder(res.webSocket);
}

/** Records everything a socket receives, and lets a test wait for what it expects. */
export class SocketRecorder {
	readonly items: ServerItem[] = [];
	readonly frames: string[] = [];
	closeEvent: { code: number; reason: string } | undefined;
	#waiters = new Set<() => void>();

	constructor(readonly ws: WebSocket) {
		ws.accept();
		ws.addEventListener("message", (event) => {
			const data = event.data as string;
			this.frames.push(data);
			this.items.push(...(JSON.parse(data) as ServerItem[]));
			this.#wake();
		});
		ws.addEventListener("close", (event) => {
			this.closeEvent = { code: event.code, reason: event.reason };
			this.#wake();
		});
	}

	get events(): HubEvent[] {
		return this.items.filter((item): item is HubEvent => typeof (item as HubEvent).seq === "number");
	}

	get controls(): ControlMessage[] {
		return this.items.filter((item) => typeof (item as HubEvent).seq !== "number") as ControlMessage[];
	}

	control<T extends ControlMessage["type"]>(type: T): Extract<ControlMessage, { type: T }> | undefined {
		return this.controls.find((c) => c.type === type) as Extract<ControlMessage, { type: T }> | undefined;
	}

	send(data: string | ArrayBuffer | object): void {
		this.ws.send(typeof data === "string" || data instanceof ArrayBuffer ? data : JSON.stringify(data));
	}

	/** Resolves once `check` holds, or rejects after `timeoutMs` with what was received. */
	async until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
		if (check()) return;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters.delete(waiter);
				reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items).slice(0, 500)}`));
			}, timeoutMs);
			const waiter = () => {
				if (!check()) return;
				clearTimeout(timer);
				this.#waiters.delete(waiter);
				resolve();
			};
			this.#waiters.add(waiter);
		});
	}

	untilEvents(count: number, timeoutMs?: number): Promise<void> {
		return this.until(() => this.events.length >= count, `${count} events`, timeoutMs);
	}

	untilControl(type: ControlMessage["type"], count = 1): Promise<void> {
		return this.until(() => this.controls.filter((c) => c.type === type).length >= count, `${count} × ${type}`);
	}

	untilClosed(): Promise<{ code: number; reason: string }> {
		return this.until(() => this.closeEvent !== undefined, "close").then(() => this.closeEvent!);
	}

	close(): void {
		try {
			this.ws.close(1000, "test done");
		} catch {
			// already closed
		}
	}

	#wake(): void {
		for (const waiter of [...this.#waiters]) waiter();
	}
}

/** Asserts seqs are consecutive (no gap, no duplicate). Returns them for further checks. */
export function seqsOf(events: HubEvent[]): number[] {
	return events.map((e) => e.seq);
}
