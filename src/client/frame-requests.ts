/**
 * Client frames that expect an answer, matched to it: each request gets a correlation `id`,
 * and the hub's `ack`, `chat.history` or `error` echoes it as `ref`. Shared by the web page
 * and the CLI: web-standard APIs only (no DOM, no Node), and no TypeScript-only syntax that
 * Node's type stripping cannot erase.
 */
import type { ClientFrame, ControlMessage } from "../protocol/index.ts";

/** A client frame without its correlation id (FrameRequests assigns one). */
export type FrameRequest = ClientFrame extends infer F ? (F extends unknown ? Omit<F, "id"> : never) : never;

/**
 * The hub refused a frame (`code` is the `error` control message's code), or it was never
 * answered: `not_connected` (not sent), `timeout`, `disconnected` (`failAll`).
 */
export class FrameError extends Error {
	readonly code: string;
	/** The `error` message's `details`, when it had some (a spent budget's cap and reset time). */
	readonly details: unknown;

	constructor(code: string, message: string, details?: unknown) {
		super(message);
		this.name = "FrameError";
		this.code = code;
		this.details = details;
	}
}

interface Pending {
	resolve: (message: ControlMessage) => void;
	reject: (error: Error) => void;
	timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests waiting for their answer. Answers travel on the socket that asked: when it drops,
 * the owner fails pending requests at once (`failAll`) rather than let them wait for their
 * timeout.
 */
export class FrameRequests {
	readonly #pending = new Map<string, Pending>();
	readonly #send: (frame: ClientFrame) => boolean;
	readonly #timeoutMs: number;
	readonly #idPrefix: string;
	#next = 0;

	/**
	 * `send` puts a frame on the socket and says whether it could; ids are `idPrefix` and a
	 * counter (`r1`, `r2`, …).
	 */
	constructor(send: (frame: ClientFrame) => boolean, timeoutMs = 15_000, idPrefix = "r") {
		this.#send = send;
		this.#timeoutMs = timeoutMs;
		this.#idPrefix = idPrefix;
	}

	/** Sends the frame; resolves with its answer, rejects with a FrameError. */
	request(frame: FrameRequest): Promise<ControlMessage> {
		const id = `${this.#idPrefix}${++this.#next}`;
		return new Promise((resolve, reject) => {
			if (!this.#send({ ...frame, id } as ClientFrame)) {
				reject(new FrameError("not_connected", "Not connected to Sparky right now; try again in a moment."));
				return;
			}
			const timer = setTimeout(() => {
				this.#pending.delete(id);
				reject(new FrameError("timeout", "Sparky did not answer in time; try again."));
			}, this.#timeoutMs);
			this.#pending.set(id, { resolve, reject, timer });
		});
	}

	/** Hands a control message to the request it answers; false when it answers none. */
	onControl(message: ControlMessage): boolean {
		const ref = "ref" in message ? message.ref : undefined;
		const pending = ref === undefined ? undefined : this.#pending.get(ref);
		if (!pending || ref === undefined) return false;
		this.#pending.delete(ref);
		clearTimeout(pending.timer);
		if (message.type === "error") pending.reject(new FrameError(message.code, message.message, message.details));
		else pending.resolve(message);
		return true;
	}

	/** Rejects every pending request (`disconnected`). */
	failAll(reason = "The connection dropped before Sparky answered; try again."): void {
		for (const [id, pending] of this.#pending) {
			clearTimeout(pending.timer);
			pending.reject(new FrameError("disconnected", reason));
			this.#pending.delete(id);
		}
	}

	/** Forgets every pending request without settling it and stops its timer (the owner is shutting down). */
	abandon(): void {
		for (const pending of this.#pending.values()) clearTimeout(pending.timer);
		this.#pending.clear();
	}

	get size(): number {
		return this.#pending.size;
	}
}
