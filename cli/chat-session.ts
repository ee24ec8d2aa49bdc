/**
 * The session behind `sparky chat` (cli/commands/chat.ts picks the chat): an interactive
 * chat over the live WebSocket (cli/chat-connection.ts). HubClient (src/client) keeps
 * the socket (token in the `sparky.auth.<token>` sub-protocol, reconnects and resumes);
 * chat frames (`chat.create`, `chat.send`, `chat.cancel`, `chat.history`) go over it, their
 * answers come back by `ref` (FrameRequests, src/client), and the turn's events feed a Timeline that the StreamPrinter
 * prints as they stream. Ctrl+C cancels a running turn; Ctrl+C again, Ctrl+C when nothing
 * runs, Ctrl+D or /exit leaves. Files go with a message as `attachments` (cli/chat-attachments.ts).
 */
import { createInterface, type Interface } from "node:readline";
import { type FrameRequest, type ThreadKey, Timeline } from "../src/client/index.ts";
import {
	type Chat,
	ChatHistoryMessageSchema,
	ChatSchema,
	ChatTextSchema,
	type ClientEvent,
	type ControlMessage,
	CustomName,
	EventType,
	parseHubEvents,
	type SendPolicy,
	type SparkyFile,
} from "../src/protocol/index.ts";
import { ChatAttachments, describe } from "./chat-attachments.ts";
import { ChatConnection } from "./chat-connection.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import type { Spinner } from "./output.ts";
import { StreamPrinter } from "./render.ts";

const HELP =
	"Type a message and press Enter (while the agent answers, it waits its turn, or does what --policy or the chat's policy says). /steer TEXT adds TEXT to the running answer: the agent reads it at its next step. /attach PATH adds a file to your next message (/attach alone lists them, /detach drops them). While the agent answers, Ctrl+C (or /cancel) stops it; Ctrl+C with nothing running, Ctrl+D or /exit quits.";

/** One interactive chat over the live WebSocket: the socket, the prompt, the printed answers. */
export class ChatSession {
	readonly #ctx: Context;
	readonly #timeline = new Timeline();
	readonly #connection: ChatConnection;
	/** Texts sent from here whose user-message events haven't been seen yet (not printed twice). */
	readonly #mine: string[] = [];
	/** Ids of the history rows loaded at the start: their user messages are "you". */
	readonly #history = new Set<string>();
	readonly #files: ChatAttachments;
	#chat: Chat | undefined;
	/** One message from the command line: what the user sent isn't on the terminal yet. */
	#oneShot = false;
	#printer: StreamPrinter;
	#rl: Interface | undefined;
	#awaitingAcks = 0;
	#promptShown = false;
	#cancelling = false;
	#exitWhenIdle = false;
	#finish: ((code: number) => void) | undefined;
	#spinner: Spinner | undefined;

	/** `--max-cost`: each message's budget in US dollars (`max_cost_usd`), when given. */
	readonly #maxCost: number | undefined;
	/** `--policy` (`--steer`, `--interrupt`): what a message sent while a turn runs does; default the chat's. */
	readonly #policy: SendPolicy | undefined;

	constructor(ctx: Context, options: { maxCost?: number; policy?: SendPolicy } = {}) {
		this.#ctx = ctx;
		this.#maxCost = options.maxCost;
		this.#policy = options.policy;
		this.#files = new ChatAttachments(ctx);
		this.#connection = new ChatConnection(ctx, {
			onEvent: (event) => this.#onEvent(event),
			notice: (text) => this.#notice(text),
			fail: (error) => this.#fail(error),
		});
		this.#printer = this.#newPrinter();
	}

	#newPrinter(): StreamPrinter {
		const { c } = this.#ctx.out;
		return new StreamPrinter({
			out: this.#ctx.out,
			style: "chat",
			userLabel: (item) => {
				if (this.#history.has(item.id)) return `${c.bold(c.blue("you"))} › `;
				const i = this.#mine.indexOf(item.text.trim());
				if (i >= 0) {
					this.#mine.splice(i, 1);
					// On a terminal the typed line is already there; from a pipe, show what was said.
					return process.stdin.isTTY && !this.#oneShot ? false : `${c.bold(c.blue("you"))} › `;
				}
				return `${c.bold(c.blue("you"))} ${c.dim("(elsewhere)")} › `;
			},
		});
	}

	/** Opens the socket; resolves once the hub said hello (`session`). */
	connect(): Promise<void> {
		return this.#connection.open();
	}

	/** Files uploaded already (`--attach`): they go with the first message. */
	attach(files: readonly SparkyFile[]): void {
		this.#files.add(files);
	}

	async close(): Promise<void> {
		this.#rl?.close();
		await this.#files.close();
		this.#connection.close();
	}

	async createChat(): Promise<Chat> {
		const ack = await this.#request({ type: "chat.create" });
		if (ack.type !== "ack") throw new CliError("unexpected answer to chat.create");
		return ChatSchema.parse(ack.result.chat);
	}

	/**
	 * The interactive loop: resolves with the exit code. With `message` (`sparky chat "…"`), that
	 * one message instead of the prompt: the session ends with its answer.
	 */
	async run(chat: Chat, resumed: boolean, message?: string): Promise<number> {
		const { out } = this.#ctx;
		const { c } = out;
		this.#chat = chat;
		this.#timeline.open(this.#thread);
		out.line(
			c.dim(
				`${resumed ? "Continuing" : "New chat"} ${chat.id}${resumed ? ` "${chat.title}"` : ""}. Ctrl+C stops an answer, Ctrl+C again or Ctrl+D quits, /help for more.`,
			),
		);
		if (resumed) await this.#loadHistory();
		const done = new Promise<number>((resolve) => {
			this.#finish = resolve;
		});
		if (message === undefined) {
			if (this.#files.pending.length) this.#notice(c.dim(`📎 ${this.#files.list()}`));
			this.#startReadline();
		} else {
			this.#oneShot = true;
			this.#exitWhenIdle = true;
			process.on("SIGINT", () => this.#onInterrupt());
			this.#send(message);
		}
		this.#render();
		return done;
	}

	get #thread(): ThreadKey {
		return `chat:${this.#chat?.id ?? ""}`;
	}

	/** A turn of this chat is running or waiting, or a message is on its way. */
	get #busy(): boolean {
		return (
			this.#awaitingAcks > 0 ||
			this.#files.uploading ||
			(this.#chat ? this.#timeline.openTurns(this.#chat.id).length > 0 : false)
		);
	}

	async #loadHistory(): Promise<void> {
		const chat = this.#chat!;
		const answer = await this.#request({ type: "chat.history", chat_id: chat.id, limit: 30 });
		const history = ChatHistoryMessageSchema.safeParse(answer);
		if (!history.success) throw new CliError("unexpected answer to chat.history");
		const { messages, turns, events, next_before } = history.data;
		for (const m of messages) this.#history.add(m.id);
		this.#timeline.applyHistory(chat.id, messages);
		this.#timeline.applyTurns(chat.id, turns);
		this.#timeline.apply(parseHubEvents(events));
		if (next_before) this.#ctx.out.line(this.#ctx.out.c.dim("… (earlier messages not shown)"));
	}

	#startReadline(): void {
		const { stdin, stdout } = process;
		const terminal = Boolean(stdin.isTTY && stdout.isTTY);
		const c = this.#ctx.out.c;
		const rl = createInterface({ input: stdin, output: stdout, terminal, prompt: `${c.bold(c.blue("you"))} › ` });
		this.#rl = rl;
		rl.on("line", (line) => this.#onLine(line));
		rl.on("SIGINT", () => this.#onInterrupt());
		rl.on("close", () => {
			// Ctrl+D, or the end of piped input: leave once the answers being written are done.
			if (this.#busy) this.#exitWhenIdle = true;
			else this.#exit(ExitCode.ok);
		});
		// Without a terminal, readline sees no Ctrl+C: the signal arrives instead.
		if (!terminal) process.on("SIGINT", () => this.#onInterrupt());
	}

	#onLine(line: string): void {
		this.#promptShown = false;
		const text = line.trim();
		if (text === "/exit" || text === "/quit") this.#exit(ExitCode.ok);
		else if (text === "/cancel") this.#cancel();
		else if (text === "/help") this.#notice(this.#ctx.out.c.dim(HELP));
		else if (text === "/steer" || text.startsWith("/steer ")) {
			const words = text.slice("/steer".length).trim();
			if (words) this.#send(words, "steer");
			else this.#notice(this.#ctx.out.c.dim("/steer TEXT adds TEXT to the running answer"));
		} else if (this.#files.isCommand(text)) {
			// `/attach PATH`: its progress bar has the line until the upload is done.
			this.#hidePrompt();
			this.#stopSpinner();
			void this.#files.command(text).then((said) => (said ? this.#notice(said) : this.#render()));
		} else if (text !== "") this.#send(text);
		this.#render();
	}

	#send(text: string, policy = this.#policy): void {
		const { c } = this.#ctx.out;
		const checked = ChatTextSchema.safeParse(text);
		if (!checked.success) {
			this.#notice(c.red(`✖ ${checked.error.issues[0]?.message ?? "invalid message"}`));
			return;
		}
		this.#mine.push(checked.data);
		this.#awaitingAcks++;
		// After the uploads started before it: the message takes the files waiting then.
		let files: SparkyFile[] = [];
		this.#files
			.take()
			.then((taken) => {
				files = taken;
				if (files.length) this.#notice(c.dim(`📎 ${files.map(describe).join(", ")}`));
				const attachments = files.length ? { attachments: files.map((f) => f.id) } : {};
				const budget = this.#maxCost !== undefined ? { max_cost_usd: this.#maxCost } : {};
				return this.#request({
					type: "chat.send",
					chat_id: this.#chat!.id,
					text: checked.data,
					...attachments,
					...budget,
					...(policy ? { policy } : {}),
				});
			})
			.then((ack) => {
				const sent = ack.type === "ack" ? (ack.result as { status?: unknown; turn_id?: unknown }) : {};
				if (sent.status === "steered")
					this.#notice(
						c.dim(`↪ steered into the running answer (${String(sent.turn_id)}): the agent reads it at its next step`),
					);
			})
			.catch((error: Error) => {
				const i = this.#mine.indexOf(checked.data);
				if (i >= 0) this.#mine.splice(i, 1);
				// Its files wait for the next message.
				this.#files.putBack(files);
				this.#notice(
					c.red(`✖ not sent: ${error.message}${files.length ? " (its files wait for the next message)" : ""}`),
				);
				if (this.#oneShot) this.#exit(error instanceof CliError ? error.exitCode : ExitCode.error);
			})
			.finally(() => {
				this.#awaitingAcks--;
				this.#render();
			});
	}

	#onInterrupt(): void {
		if (this.#files.cancelUpload()) return;
		if (this.#busy && !this.#cancelling) {
			this.#cancel();
			return;
		}
		this.#printer.closeLine();
		if (this.#promptShown) this.#ctx.out.write("\n");
		this.#exit(this.#busy ? ExitCode.interrupted : ExitCode.ok);
	}

	#cancel(): void {
		const { c } = this.#ctx.out;
		const chat = this.#chat!;
		if (!this.#busy) {
			this.#notice(c.dim("nothing to cancel"));
			return;
		}
		this.#cancelling = true;
		this.#notice(c.yellow("cancelling… (Ctrl+C again to quit)"));
		this.#request({ type: "chat.cancel", chat_id: chat.id })
			.then(async (ack) => {
				const cancelled = ack.type === "ack" ? ack.result.cancelled_turn_id : null;
				// chat.cancel stops the running turn only: withdraw this chat's waiting turns too.
				const waiting = this.#timeline.openTurns(chat.id).filter((t) => t.status === "queued" && t.id !== cancelled);
				for (const turn of waiting)
					await this.#ctx
						.api()
						.cancelTask(turn.id)
						.catch(() => {});
			})
			.catch((error: Error) => this.#notice(c.red(`✖ could not cancel: ${error.message}`)));
	}

	#onEvent(event: ClientEvent): void {
		this.#timeline.apply([event]);
		if (!this.#chat || event.chat_id !== this.#chat.id) return;
		if (event.type === EventType.CUSTOM && event.name === CustomName.chat) {
			if (event.value.action === "deleted") {
				this.#notice(this.#ctx.out.c.yellow("this chat was deleted"));
				this.#exit(ExitCode.ok);
				return;
			}
		}
		this.#render();
	}

	/** Sends a frame; resolves with its answer (`ack`, `chat.history`), rejects with a CliError. */
	#request(frame: FrameRequest): Promise<ControlMessage> {
		return this.#connection.request(frame);
	}

	/** Prints what's new in this chat; shows the prompt again once nothing is running. */
	#render(): void {
		if (!this.#chat || !this.#finish) return;
		this.#stopSpinner();
		this.#hidePrompt();
		this.#printer.render(this.#timeline.items(this.#thread));
		if (this.#busy) {
			// Waiting for the next piece of the answer: a spinner, unless a line is half written
			// or an upload's progress bar has the line.
			if (!this.#printer.lineOpen && !this.#files.uploading) this.#spinner = this.#ctx.out.spinner("thinking…");
			return;
		}
		this.#cancelling = false;
		if (this.#exitWhenIdle) this.#exit(ExitCode.ok);
		else this.#showPrompt();
	}

	/** A line that isn't part of the conversation (status, errors), without breaking the prompt. */
	#notice(text: string): void {
		this.#stopSpinner();
		this.#hidePrompt();
		this.#printer.closeLine();
		this.#ctx.out.line(text);
		this.#render();
	}

	#showPrompt(): void {
		if (this.#promptShown || !this.#rl || !this.#ctx.out.tty) return;
		this.#printer.closeLine();
		this.#promptShown = true;
		this.#rl.prompt(true);
	}

	#hidePrompt(): void {
		if (!this.#promptShown) return;
		// Clear the prompt line; what was typed so far comes back with the next prompt.
		this.#ctx.out.write("\r\x1b[2K");
		this.#promptShown = false;
	}

	#stopSpinner(): void {
		this.#spinner?.stop();
		this.#spinner = undefined;
	}

	#exit(code: number): void {
		this.#stopSpinner();
		const finish = this.#finish;
		this.#finish = undefined;
		this.#printer.closeLine();
		finish?.(code);
	}

	#fail(error: CliError): void {
		this.#notice(this.#ctx.out.c.red(`✖ ${error.message}`));
		this.#exit(error.exitCode);
	}
}
