/**
 * The live connection behind `sparky chat` (cli/chat-session.ts): HubClient (src/client) keeps
 * the socket (token in the `sparky.auth.<token>` sub-protocol, reconnects and resumes), and
 * frames sent over it get their answers back by `ref` (FrameRequests, src/client), a refusal
 * as a CliError.
 */
import { FrameError, type FrameRequest, FrameRequests, HubClient } from "../src/client/index.ts";
import { type ClientEvent, CloseCode, type ControlMessage } from "../src/protocol/index.ts";
import type { Context } from "./context.ts";
import { budgetExceededError, CliError, ExitCode } from "./errors.ts";
import { unauthorized } from "./http.ts";
import { terminalSafeDeep } from "./terminal-text.ts";

/** Characters a WebSocket sub-protocol may hold (an RFC 7230 token). */
const PROTOCOL_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FRAME_TIMEOUT_MS = 15_000;

export interface ChatConnectionEvents {
	onEvent(event: ClientEvent): void;
	/** A line for the user about the connection (lost, reconnected). */
	notice(text: string): void;
	/** The token was refused: the session can't go on. */
	fail(error: CliError): void;
}

/** The chat's socket, and the frames that go over it. */
export class ChatConnection {
	readonly #ctx: Context;
	readonly #on: ChatConnectionEvents;
	readonly #requests = new FrameRequests((frame) => this.#client?.send(frame) ?? false, FRAME_TIMEOUT_MS, "cli");
	#client: HubClient | undefined;
	#wasOpen = false;
	#lost = false;

	constructor(ctx: Context, on: ChatConnectionEvents) {
		this.#ctx = ctx;
		this.#on = on;
	}

	/** Opens the socket; resolves once the hub said hello (`session`). */
	open(): Promise<void> {
		const { url, token } = this.#ctx.connection();
		const api = this.#ctx.api();
		return new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(api.unreachable(new Error("the live connection (/api/ws) did not open within 10 s")));
			}, 10_000);
			this.#client = new HubClient({
				baseUrl: url,
				auth: PROTOCOL_TOKEN.test(token) ? { token } : { ticket: async () => (await api.wsTicket()).data.ticket },
				// Printed as they come (the model's words, tools' results): terminal-safe first.
				onEvent: (event) => this.#on.onEvent(terminalSafeDeep(event)),
				onControl: (message) => {
					if (message.type === "session") {
						clearTimeout(timer);
						resolve();
					}
					this.#onControl(message);
				},
				onStatus: (status, detail) => {
					if (status === "open") this.#onOpen();
					if (status === "reconnecting" && this.#wasOpen && !this.#lost) {
						this.#lost = true;
						this.#on.notice(this.#ctx.out.c.yellow("connection lost; reconnecting…"));
					}
					if (status === "closed" && detail?.code === CloseCode.unauthorized) {
						clearTimeout(timer);
						const error = unauthorized(url, "it was revoked or expired");
						reject(error);
						this.#on.fail(error);
					}
				},
			});
			this.#client.connect();
		});
	}

	close(): void {
		this.#client?.close();
		this.#requests.abandon();
	}

	/** Sends a frame; resolves with its answer (`ack`, `chat.history`), rejects with a CliError. */
	async request(frame: FrameRequest): Promise<ControlMessage> {
		try {
			return terminalSafeDeep(await this.#requests.request(frame));
		} catch (error) {
			if (!(error instanceof FrameError)) throw error;
			if (error.code === "not_connected") throw new CliError("not connected (reconnecting); try again in a moment");
			if (error.code === "timeout")
				throw new CliError(`no answer to ${frame.type} within ${FRAME_TIMEOUT_MS / 1000} s`);
			if (error.code === "budget_exceeded") throw budgetExceededError(error.message, error.details);
			if (error.code === "turn_running")
				throw new CliError(
					error.message,
					ExitCode.conflict,
					error.code,
					error.details,
					"send it when the answer ends, or with --steer / --policy queue",
				);
			throw new CliError(error.message, ExitCode.error, error.code);
		}
	}

	#onOpen(): void {
		if (this.#lost) this.#on.notice(this.#ctx.out.c.dim("reconnected"));
		this.#wasOpen = true;
		this.#lost = false;
	}

	#onControl(message: ControlMessage): void {
		this.#requests.onControl(message);
	}
}
