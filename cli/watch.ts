/**
 * `tasks watch`: follows one task live over `GET /api/tasks/:id/events` (Server-Sent Events)
 * until it ends, resuming with `Last-Event-ID` after a dropped connection. Events go through
 * the Timeline (src/client) and are printed by the StreamPrinter; with `--json` each event is
 * one line of NDJSON. The exit code says how the task ended: 0 succeeded, 1 failed/cancelled.
 */
import { backoffDelay, formatUsd, type ThreadKey, Timeline } from "../src/client/index.ts";
import {
	type ClientEvent,
	CustomName,
	EventType,
	isTerminal,
	parseHubEvent,
	type Task,
	TaskSchema,
	type TaskStatus,
} from "../src/protocol/index.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { duration, oneLine, type Spinner, stepsFailed } from "./output.ts";
import { StreamPrinter } from "./render.ts";
import { readSse } from "./sse.ts";
import { terminalSafe, terminalSafeDeep } from "./terminal-text.ts";

/** Connection attempts in a row that may fail before the watch gives up. */
const MAX_RETRIES = 8;

export async function watchTask(ctx: Context, id: string, known?: Task): Promise<number> {
	const { out } = ctx;
	const { c } = out;
	const api = ctx.api();
	const task = known ?? (await api.getTask(id)).data.task;
	if (out.json) out.printJsonLine({ task });
	else if (!known) {
		out.line(`${c.bold(task.id)} ${c.dim("·")} ${oneLine(task.instruction, out.columns - task.id.length - 3)}`);
	}

	const timeline = new Timeline();
	timeline.applyTasks([task]);
	const thread: ThreadKey = task.chat_id ? `chat:${task.chat_id}` : `task:${task.id}`;
	const printer = new StreamPrinter({ out, style: "task" });
	// After `tasks add`, "queued" was just printed; `tasks watch` says where the task stands.
	let lastStatus: TaskStatus | undefined = known ? task.status : undefined;
	let printedAnswer = false;
	let spinner: Spinner | undefined;

	const stopSpinner = () => {
		spinner?.stop();
		spinner = undefined;
	};
	const waitSpinner = (status: TaskStatus | undefined) => {
		stopSpinner();
		if (out.json || printer.lineOpen || (status && isTerminal(status))) return;
		const what =
			status === "waiting"
				? "waiting for its dependencies"
				: status === "queued"
					? "queued"
					: status === "awaiting_approval"
						? "waiting for a decision"
						: "working";
		spinner = out.spinner(`${what}…`);
	};
	const showStatus = (status: TaskStatus) => {
		if (status === lastStatus) return;
		const previous = lastStatus;
		lastStatus = status;
		if (out.json) return;
		if (status !== "waiting" && status !== "queued") return;
		printer.closeLine();
		if (status === "waiting") out.line(c.dim("… waiting for the tasks it depends on"));
		else out.line(c.dim(previous === "running" ? "… queued again for a retry" : "… queued"));
	};

	// Ctrl+C stops watching (the task goes on).
	const abort = new AbortController();
	const onSigint = () => abort.abort();
	process.once("SIGINT", onSigint);

	let lastEventId: string | undefined;
	let end: { task?: Task; deleted?: boolean } | undefined;
	let retries = 0;
	try {
		if (!isTerminal(task.status)) showStatus(task.status);
		while (!end) {
			waitSpinner(lastStatus);
			let response: Response;
			try {
				response = await api.fetch("GET", `/api/tasks/${encodeURIComponent(task.id)}/events`, {
					headers: { Accept: "text/event-stream", ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) },
					timeoutMs: 0,
					signal: abort.signal,
				});
			} catch (error) {
				if (abort.signal.aborted) throw stopped(task.id);
				if (++retries > MAX_RETRIES) throw error;
				await sleep(backoffDelay(retries - 1), abort.signal).catch(() => {
					throw stopped(task.id);
				});
				continue;
			}
			if (!response.ok || !response.body) {
				const text = await response.text();
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {}
				throw api.apiError(response, json, text);
			}
			// The stream's last word is a comment, `: end {…}`: how the task ended, or that it is gone.
			let endComment: string | undefined;
			const onComment = (text: string) => {
				if (text.startsWith("end ")) endComment = text.slice(4);
			};
			/** Shows one event; true once the task has ended. */
			const show = (parsed: { raw: unknown; event: ClientEvent }): boolean => {
				const { event } = parsed;
				stopSpinner();
				if (out.json) out.printJsonLine(parsed.raw);
				timeline.apply([event]);
				const status = statusOf(event);
				if (status) showStatus(status);
				const items = timeline.items(thread).filter((item) => item.turnId === task.id);
				if (!out.json) printer.render(items);
				printedAnswer ||= items.some((i) => i.kind === "message" && i.role === "assistant" && i.text !== "");
				if (status && isTerminal(status)) return true;
				waitSpinner(lastStatus);
				return false;
			};
			// Events in time order: a RUN_STARTED sent without an id is followed by what happened
			// before it (the stream's framing, src/agui/events.ts); it is shown once those have been.
			const order = new SeqOrder();
			try {
				for await (const message of readSse(response.body, { onComment })) {
					retries = 0;
					if (message.id) lastEventId = message.id;
					if (message.event === "end") {
						end = parseEnd(message.data) ?? {};
						break;
					}
					const parsed = parseEvent(message.data);
					if (!parsed) continue;
					if (order.push(parsed, message.ownId === undefined).some(show)) {
						end = {};
						break;
					}
				}
			} catch (error) {
				if (abort.signal.aborted) throw stopped(task.id);
				if (++retries > MAX_RETRIES) throw api.unreachable(error);
			}
			if (order.flush().some(show)) end ??= {};
			if (!end && endComment !== undefined) end = parseEnd(endComment);
			if (!end) {
				// The stream closed without saying how the task ended (or its lease lapsed): ask.
				const latest = (await api.getTask(task.id)).data.task;
				if (isTerminal(latest.status)) {
					end = { task: latest };
					break;
				}
				// The stream closed before the task ended (a proxy, a restart): resume where it stopped.
				await sleep(backoffDelay(Math.max(0, retries - 1)), abort.signal).catch(() => {
					throw stopped(task.id);
				});
			}
		}
	} finally {
		stopSpinner();
		printer.closeLine();
		process.off("SIGINT", onSigint);
	}

	if (end.deleted) {
		if (out.json) out.printJsonLine({ deleted: true, task_id: task.id });
		throw new CliError(`task ${task.id} was deleted while being watched`, ExitCode.notFound, "not_found");
	}
	const final = end.task ?? (await api.getTask(task.id)).data.task;
	if (out.json) out.printJsonLine({ task: final });
	else printFinal(ctx, final, printedAnswer);
	return final.status === "succeeded" ? ExitCode.ok : ExitCode.error;
}

function printFinal(ctx: Context, task: Task, printedAnswer: boolean): void {
	const { out } = ctx;
	const { c } = out;
	const took =
		task.started_at !== null && task.finished_at !== null ? ` in ${duration(task.finished_at - task.started_at)}` : "";
	const attempts = task.attempts > 1 ? ` (${task.attempts} attempts)` : "";
	// What it cost (servers before #26 don't say; `null`: a model had no known price).
	const cost =
		task.usage.cost_usd !== undefined && task.usage.total_tokens > 0 ? ` · ${formatUsd(task.usage.cost_usd)}` : "";
	if (task.status === "succeeded") {
		if (!printedAnswer && task.result) out.line(terminalSafe(task.result));
		const failures = task.tool_failures ?? 0;
		if (failures === 0) out.line(c.green(`✔ ${task.id} succeeded${took}${attempts}${cost}`));
		else out.line(c.yellow(`✔ ${task.id} succeeded · ${stepsFailed(failures)}${took}${attempts}${cost}`));
	} else if (task.status === "cancelled") {
		out.line(c.yellow(`■ ${task.id} cancelled${attempts}${cost}`));
	} else {
		out.line(c.red(`✖ ${task.id} ${task.status}${attempts}${cost}${task.error ? `: ${task.error}` : ""}`));
	}
}

/**
 * An SSE message's event: `raw` as sent (fields in their order, unknown ones kept) for `--json`,
 * `event` typed (`parseHubEvent`) for everything else.
 */
function parseEvent(data: string): { raw: unknown; event: ClientEvent } | undefined {
	let raw: unknown;
	try {
		raw = JSON.parse(data);
	} catch {
		return undefined;
	}
	// `event` is printed for people: terminal-safe; `raw` stays as sent for `--json`.
	const parsed = parseHubEvent(terminalSafeDeep(raw));
	return parsed.ok ? { raw, event: parsed.event } : undefined;
}

/**
 * The end of the stream: `{status, seq}` (the task ended), `{task}` or `{deleted: true}` (it is
 * gone). `{error}` (the token was revoked, the stream's lease lapsed) is no ending: undefined,
 * and the watch asks the API (a revoked token fails there) or resumes.
 */
function parseEnd(data: string): { task?: Task; deleted?: boolean } | undefined {
	try {
		const json = JSON.parse(data) as { task?: unknown; deleted?: boolean; error?: unknown };
		if (json.error) return undefined;
		if (json.deleted) return { deleted: true };
		const task = TaskSchema.safeParse(json.task);
		return task.success ? { task: json.task as Task } : {};
	} catch {
		return {};
	}
}

type Parsed = { raw: unknown; event: ClientEvent };

/**
 * Puts a held-back `RUN_STARTED` (sent ahead of the events that happened before it) back in
 * seq order: it waits until an event with a later seq arrives, or the stream ends.
 */
export class SeqOrder {
	#held: Parsed | undefined;

	/** The events to show now, in seq order. `early`: a RUN_STARTED sent without an id. */
	push(parsed: Parsed, early: boolean): Parsed[] {
		const held = this.#held;
		if (held && parsed.event.seq > held.event.seq) {
			this.#held = undefined;
			return [held, ...this.push(parsed, early)];
		}
		if (early && parsed.event.type === EventType.RUN_STARTED && !held) {
			this.#held = parsed;
			return [];
		}
		return [parsed];
	}

	/** Whatever is still held (the stream ended). */
	flush(): Parsed[] {
		const held = this.#held;
		this.#held = undefined;
		return held ? [held] : [];
	}
}

function statusOf(event: ClientEvent): TaskStatus | undefined {
	if (event.type !== EventType.CUSTOM || event.name !== CustomName.taskStatus) return undefined;
	return event.value.status;
}

function stopped(id: string): CliError {
	return new CliError(
		"stopped watching",
		ExitCode.interrupted,
		"interrupted",
		undefined,
		`the task goes on; follow it again with \`sparky agent tasks watch ${id}\` or stop it with \`sparky agent tasks cancel ${id}\``,
	);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal.aborted) return reject(signal.reason);
		const timer = setTimeout(resolve, ms);
		signal.addEventListener(
			"abort",
			() => {
				clearTimeout(timer);
				reject(signal.reason);
			},
			{ once: true },
		);
	});
}
