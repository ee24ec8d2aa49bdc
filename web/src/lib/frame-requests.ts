import type { ClientFrame, ControlMessage } from "../../../src/protocol/index.ts";

/** A client frame without its correlation id (this module assigns one). */
export type FrameRequest = ClientFrame extends infer F ? (F extends unknown ? Omit<F, "id"> : never) : never;

/** The hub refused a frame (`error` control message), or it was never answered. */
export class FrameError extends Error {
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
		this.name = "FrameError";
	}
}

interface Pending {
	resolve: (message: ControlMessage) => void;
	reject: (error: Error) => void;
	timer: ReturnType<typeof setTimeout>;
}

/**
 * Client frames that expect an answer (`ack`, `chat.history` or `error`, each echoing the
 * frame's `id` as `ref`). Answers travel on the socket that asked: when it drops, pending
 * requests fail at once (`failAll`) rather than wait for their timeout.
 */
export class FrameRequests {
	readonly #pending = new Map<string, Pending>();
	#next = 0;

	constructor(
		private readonly send: (frame: ClientFrame) => boolean,
		private readonly timeoutMs = 15_000,
	) {}

	request(frame: FrameRequest): Promise<ControlMessage> {
		const id = `r${++this.#next}`;
		return new Promise((resolve, reject) => {
			if (!this.send({ ...frame, id } as ClientFrame)) {
				reject(new FrameError("not_connected", "Not connected to Sparky right now; try again in a moment."));
				return;
			}
			const timer = setTimeout(() => {
				this.#pending.delete(id);
				reject(new FrameError("timeout", "Sparky did not answer in time; try again."));
			}, this.timeoutMs);
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
		if (message.type === "error") pending.reject(new FrameError(message.code, message.message));
		else pending.resolve(message);
		return true;
	}

	failAll(reason = "The connection dropped before Sparky answered; try again."): void {
		for (const [id, pending] of this.#pending) {
			clearTimeout(pending.timer);
			pending.reject(new FrameError("disconnected", reason));
			this.#pending.delete(id);
		}
	}

	get size(): number {
		return this.#pending.size;
	}
}
