import {
	type AgUiEvent,
	type ChatMessage,
	type ClientEvent,
	type CustomEventOf,
	CustomName,
	EventType,
	isTerminal,
	parseHubEvent,
	sparkyEvent,
	type UnknownHubEvent,
	type WireEvent,
} from "../protocol/index.ts";

/**
 * An AG-UI event as it leaves for an AG-UI client: Sparky's own (`AgUiEvent`, typed) or one of
 * the hub's passed through with its envelope taken off. Only serialized from here on.
 */
export type AgUiOutEvent = AgUiEvent | { type: EventType; timestamp?: number; [field: string]: unknown };

const AG_UI_TYPES = new Set<string>(Object.values(EventType));
const isAgUiType = (type: string): type is EventType => AG_UI_TYPES.has(type);

/**
 * Sparky's hub events as pure AG-UI events: the envelope (seq, id, ts, task_id, attempt,
 * chat_id, model) stays on the hub socket and the task API; AG-UI's own `timestamp` carries
 * the time. An event of a type AG-UI doesn't know is dropped (an AG-UI client would reject
 * it). Pure, so it is tested anywhere.
 */
export function toAgUi(event: ClientEvent): AgUiOutEvent | undefined {
	if (event.type === "unknown") return unknownToAgUi(event);
	const { seq: _s, id: _i, ts, task_id: _t, attempt: _a, chat_id: _c, model: _m, ...rest } = event;
	return { ...rest, type: event.type, timestamp: ts };
}

function unknownToAgUi(event: UnknownHubEvent): AgUiOutEvent | undefined {
	const { seq: _s, id: _i, ts, task_id: _t, attempt: _a, chat_id: _c, model: _m, type: _type, ...rest } = event.raw;
	const type = event.wireType;
	return isAgUiType(type) ? { ...rest, type, timestamp: event.ts } : undefined;
}

/** What one AG-UI run (a response of `POST /api/ag-ui`) is. */
export interface RunIdentity {
	threadId: string;
	runId: string;
	/** Events of earlier attempts of the task belong to earlier runs (a paused turn resumed). */
	minAttempt: number;
}

export interface Step {
	events: AgUiOutEvent[];
	/** The run ended (`RUN_FINISHED` or `RUN_ERROR` is in `events`): nothing may follow. */
	done: boolean;
}

const ATTEMPT_ENDS = new Set(["retrying", "interrupted"]);

/**
 * Follows one turn's hub events and makes them one valid AG-UI run by the client's own rules:
 * `RUN_STARTED` (the client's ids) first; each attempt's `RUN_STARTED` and an attempt-level
 * `RUN_ERROR` (retrying, interrupted) travel as `CUSTOM` events inside the run, with whatever
 * the failed attempt left open closed first; Sparky's status changes are `CUSTOM` too; the
 * user's own message is not echoed (the client has it); `RUN_FINISHED` or the final
 * `RUN_ERROR` is last. It tracks what is open, so a re-attached stream can state it again.
 */
export class RunFollower {
	readonly #run: RunIdentity;
	readonly #userMessages = new Set<string>();
	readonly #text = new Set<string>();
	readonly #reasoning = new Set<string>();
	readonly #reasoningMessages = new Set<string>();
	readonly #tools = new Map<string, string>();
	#done = false;

	constructor(run: RunIdentity) {
		this.#run = run;
	}

	get done(): boolean {
		return this.#done;
	}

	/** The run's first event. */
	start(timestamp: number): AgUiEvent {
		return { type: EventType.RUN_STARTED, threadId: this.#run.threadId, runId: this.#run.runId, timestamp };
	}

	/** A re-attached stream's openers for what was open where the last one broke off. */
	reopen(): AgUiEvent[] {
		return [
			...[...this.#reasoning].map((messageId): AgUiEvent => ({ type: EventType.REASONING_START, messageId })),
			...[...this.#reasoningMessages].map(
				(messageId): AgUiEvent => ({ type: EventType.REASONING_MESSAGE_START, messageId, role: "reasoning" }),
			),
			...[...this.#text].map(
				(messageId): AgUiEvent => ({ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" }),
			),
			...[...this.#tools].map(
				([toolCallId, toolCallName]): AgUiEvent => ({ type: EventType.TOOL_CALL_START, toolCallId, toolCallName }),
			),
		];
	}

	/** One of the task's hub events, as the hub keeps it: parsed here (the typed union), then followed. */
	accept(raw: WireEvent): Step {
		if (this.#done) return { events: [], done: true };
		const parsed = parseHubEvent(raw);
		if (!parsed.ok) return { events: [], done: false };
		const event = parsed.event;
		if (typeof event.attempt === "number" && event.attempt < this.#run.minAttempt) return { events: [], done: false };
		const out = this.#translate(event);
		return { events: out, done: this.#done };
	}

	/** Ends the run early (the task ended with no run event, e.g. cancelled while queued). */
	#finish(events: AgUiOutEvent[], last: AgUiOutEvent): AgUiOutEvent[] {
		this.#done = true;
		return [...events, ...this.#closeAll(), last];
	}

	#translate(event: ClientEvent): AgUiOutEvent[] {
		const e = toAgUi(event);
		if (!e) return [];
		switch (event.type) {
			case EventType.TEXT_MESSAGE_START:
				if (event.role === "user") {
					this.#userMessages.add(event.messageId);
					return [];
				}
				this.#text.add(event.messageId);
				return [e];
			case EventType.TEXT_MESSAGE_CONTENT:
				return this.#userMessages.has(event.messageId) ? [] : [e];
			case EventType.TEXT_MESSAGE_END:
				if (this.#userMessages.has(event.messageId)) return [];
				this.#text.delete(event.messageId);
				return [e];
			case EventType.REASONING_START:
				this.#reasoning.add(event.messageId);
				return [e];
			case EventType.REASONING_END:
				this.#reasoning.delete(event.messageId);
				return [e];
			case EventType.REASONING_MESSAGE_START:
				this.#reasoningMessages.add(event.messageId);
				return [e];
			case EventType.REASONING_MESSAGE_END:
				this.#reasoningMessages.delete(event.messageId);
				return [e];
			case EventType.TOOL_CALL_START:
				this.#tools.set(event.toolCallId, event.toolCallName);
				return [e];
			case EventType.TOOL_CALL_END:
				this.#tools.delete(event.toolCallId);
				return [e];
			case EventType.RUN_STARTED:
				return [
					custom(
						sparkyEvent(CustomName.attempt, {
							task_id: event.task_id,
							attempt: event.attempt,
							runId: event.runId,
							model: event.model,
						}),
					),
				];
			case EventType.RUN_ERROR: {
				if (event.code !== undefined && ATTEMPT_ENDS.has(event.code)) {
					// This attempt ended; the task goes on in another one, inside this same run.
					return [
						...this.#closeAll(),
						custom(
							sparkyEvent(CustomName.attemptError, {
								task_id: event.task_id,
								attempt: event.attempt,
								code: event.code,
								message: event.message,
							}),
						),
					];
				}
				return this.#finish([], e);
			}
			case EventType.RUN_FINISHED:
				return this.#finish([], { ...e, threadId: this.#run.threadId, runId: this.#run.runId });
			case EventType.CUSTOM:
				return event.name === CustomName.taskStatus ? this.#status(event, e) : [e];
			default:
				return [e];
		}
	}

	/** A status change that ends the task without a run event of its own ends the run too. */
	#status(event: CustomEventOf<typeof CustomName.taskStatus>, e: AgUiOutEvent): AgUiOutEvent[] {
		const value = event.value;
		if (!isTerminal(value.status)) return [e];
		const timestamp = event.ts;
		if (value.status === "failed") {
			return this.#finish([e], {
				type: EventType.RUN_ERROR,
				message: value.error ?? "the task failed",
				code: "failed",
				timestamp,
			});
		}
		return this.#finish([e], {
			type: EventType.RUN_FINISHED,
			threadId: this.#run.threadId,
			runId: this.#run.runId,
			...(value.status === "succeeded" && value.result ? { result: value.result } : {}),
			outcome: { type: value.status === "cancelled" ? "cancelled" : "success" },
			timestamp,
		});
	}

	#closeAll(): AgUiEvent[] {
		const out: AgUiEvent[] = [
			...[...this.#text].map((messageId): AgUiEvent => ({ type: EventType.TEXT_MESSAGE_END, messageId })),
			...[...this.#reasoningMessages].map(
				(messageId): AgUiEvent => ({ type: EventType.REASONING_MESSAGE_END, messageId }),
			),
			...[...this.#reasoning].map((messageId): AgUiEvent => ({ type: EventType.REASONING_END, messageId })),
			...[...this.#tools.keys()].map((toolCallId): AgUiEvent => ({ type: EventType.TOOL_CALL_END, toolCallId })),
		];
		this.#text.clear();
		this.#reasoningMessages.clear();
		this.#reasoning.clear();
		this.#tools.clear();
		return out;
	}
}

/** A Sparky custom event for an AG-UI client, without the fields its producer left undefined. */
function custom(event: AgUiEvent & { type: EventType.CUSTOM }): AgUiOutEvent {
	const value =
		typeof event.value === "object" && event.value !== null
			? Object.fromEntries(Object.entries(event.value).filter(([, v]) => v !== undefined))
			: event.value;
	return { ...event, value };
}

/** One SSE message of the task stream: the event, and whether it carries its seq as the SSE id. */
export interface Framed {
	event: WireEvent;
	withId: boolean;
}

/**
 * Frames a task's hub events (envelope kept) so the stream is valid AG-UI run by run: what
 * happens between runs (status changes, the user's message, approval decisions) is held and
 * sent right after the next `RUN_STARTED`, in seq order and each with its seq as the SSE id.
 * That `RUN_STARTED` goes first (AG-UI wants a run open before anything in it) and, when
 * events were held, without an id: the ids on the wire always increase, and a client that
 * resumes after one of the held events (`Last-Event-ID`) gets the run start again (its new
 * stream needs one) and nothing it already has. A client that shows events in time order puts
 * that `RUN_STARTED` after them by its `seq` (the CLI's `tasks watch` does). What follows the
 * last run is never sent as an event: the stream ends with a comment, `: end {"status":…}`.
 */
export class TaskStreamFramer {
	#inRun = false;
	#lastEnd: string | undefined;
	/** Held between runs; `sent`: delivered before a resumed stream began (up to its Last-Event-ID). */
	#held: { event: WireEvent; sent: boolean }[] = [];

	/**
	 * The SSE messages `event` becomes (none while it is held). `sent`: the client already has
	 * it (a resumed stream replays what came before its Last-Event-ID to learn where it stands).
	 */
	accept(event: WireEvent, sent = false): Framed[] {
		if (this.#inRun) {
			if (event.type === EventType.RUN_FINISHED || event.type === EventType.RUN_ERROR) {
				this.#inRun = false;
				this.#lastEnd = event.type;
			}
			return [{ event, withId: true }];
		}
		if (event.type === EventType.RUN_STARTED) {
			this.#inRun = true;
			const held = this.#held.filter((h) => !h.sent).map((h) => ({ event: h.event, withId: true }));
			this.#held = [];
			return [{ event, withId: held.length === 0 }, ...held];
		}
		if (event.type === EventType.RUN_ERROR && this.#lastEnd !== EventType.RUN_ERROR) {
			// A run that failed before it started (no model configured): AG-UI allows that.
			this.#lastEnd = event.type;
			this.#held = [];
			return [{ event, withId: true }];
		}
		this.#held.push({ event, sent });
		return [];
	}
}

/**
 * An event as the client's AG-UI version reads it. A client of AG-UI 1.0 says so in its
 * `RunAgentInput` (`protocolVersion`); one from before (CopilotKit 1.74's `@ag-ui/client`
 * 0.0.59, say) sends none and checks `RUN_FINISHED.outcome` strictly: `success` with no other
 * field, or `interrupt`. For it, 1.0's `pendingToolCallIds` is left out (the tool call is in the
 * run already), and a `cancelled` outcome too (the run just finishes; `sparky.task.status` says
 * why): either would fail its whole run.
 */
export function forClientVersion(event: AgUiOutEvent, protocolVersion: string | undefined): AgUiOutEvent {
	if (protocolVersion !== undefined || event.type !== EventType.RUN_FINISHED) return event;
	const { outcome, ...rest } = event as { outcome?: { type?: unknown } } & AgUiOutEvent;
	if (outcome === undefined || outcome.type === "interrupt") return event;
	return outcome.type === "success" ? { ...rest, outcome: { type: "success" } } : rest;
}

/** AG-UI messages of a thread's stored history (`MESSAGES_SNAPSHOT`), with the client's own ids. */
export function historyToAgUiMessages(chatId: string, rows: ChatMessage[]): Record<string, unknown>[] {
	const own = (id: string) => (id.startsWith(`${chatId}:`) ? id.slice(chatId.length + 1) : id);
	return rows.flatMap((row): Record<string, unknown>[] => {
		if (row.role === "tool") {
			return [
				{
					id: `${row.id}:call`,
					role: "assistant",
					toolCalls: [
						{
							id: row.id,
							type: "function",
							function: { name: row.tool_name ?? "tool", arguments: row.tool_args ?? "{}" },
						},
					],
				},
				{ id: `${row.id}:result`, role: "tool", toolCallId: row.id, content: row.content },
			];
		}
		if (row.role === "user" && row.attachments?.length) {
			// A message's files as AG-UI media parts naming the uploaded file (the form a client may send back).
			const media = row.attachments.map((file) => ({
				type: file.type.startsWith("image/") ? "image" : "document",
				source: { type: "file", value: file.id, provider: "sparky", mimeType: file.type },
				metadata: { filename: file.name, size: file.size },
			}));
			const text = row.content ? [{ type: "text", text: row.content }] : [];
			return [{ id: own(row.id), role: "user", content: [...text, ...media] }];
		}
		return [{ id: own(row.id), role: row.role, content: row.content }];
	});
}
