// Straight from their modules: through src/client/index.ts this file (on the first load's path)
// added 42 KB gzipped to the first load (measured with `npm run build:web`).
import { FrameError } from "../../../src/client/frame-requests.ts";
import { describeBudgetExceeded, parseBudgetExceeded } from "../../../src/client/money.ts";
import {
	type Approval,
	type Chat,
	type ClientEvent,
	type Me,
	parseHubEvents,
	type SendPolicy,
	type Task,
} from "../../../src/protocol/index.ts";
import { formatTime } from "./format.ts";

/** An answer from the API that wasn't a success: its HTTP status and `{error: {code, message, details}}`. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details?: unknown,
	) {
		super(message);
		this.name = "ApiError";
	}
}

/** The HTTP API, with a bearer token. Errors become `ApiError`; a network failure has status 0. */
export class Api {
	/** Called when the server stops accepting the token (any 401): revoked or expired. */
	onUnauthorized: (() => void) | undefined;

	constructor(
		readonly token: string,
		/** The service's origin, e.g. `http://127.0.0.1:8787` (the page's own). */
		readonly baseUrl: string,
		readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
	) {}

	me = () => this.#call<Me>("GET", "/api/me");
	wsTicket = async () => (await this.#call<{ ticket: string }>("POST", "/api/ws-ticket")).ticket;

	chats = async () => (await this.#call<{ chats: Chat[] }>("GET", "/api/chats")).chats;
	createChat = async (title?: string) =>
		(await this.#call<{ chat: Chat }>("POST", "/api/chats", title ? { title } : {})).chat;
	renameChat = async (id: string, title: string) =>
		(await this.#call<{ chat: Chat }>("PATCH", `/api/chats/${enc(id)}`, { title })).chat;
	setChatPolicy = async (id: string, policy: SendPolicy) =>
		(await this.#call<{ chat: Chat }>("PATCH", `/api/chats/${enc(id)}`, { policy })).chat;
	deleteChat = (id: string) => this.#call<null>("DELETE", `/api/chats/${enc(id)}`);

	task = async (id: string) =>
		(await this.#call<{ task: Task & { approvals?: Approval[] } }>("GET", `/api/tasks/${enc(id)}`)).task;
	/** The caller's tool calls waiting for a decision. */
	approvals = async () => (await this.#call<{ approvals: Approval[] }>("GET", "/api/approvals")).approvals;
	/** A task's stored events, every page of them (seqs are those of the task creator's hub), typed. */
	taskEvents = async (id: string) => {
		const all: ClientEvent[] = [];
		for (let since = 0; ; ) {
			const path = `/api/tasks/${enc(id)}/events?since=${since}&limit=${EVENTS_PAGE}`;
			const page = await this.#events(path);
			all.push(...page.events);
			if (page.count < EVENTS_PAGE || page.lastSeq === undefined) return all;
			since = page.lastSeq;
		}
	};
	/** The follow-ups a task created (`parent_task_id`), newest first. */
	followUps = async (id: string) =>
		(await this.#call<{ tasks: Task[] }>("GET", `/api/tasks?limit=50&parent_task_id=${enc(id)}`)).tasks;
	/** A long poll: the task's events after `since`, waiting up to `waitSeconds` for the next. */
	taskEventsAfter = async (id: string, since: number, waitSeconds: number, signal?: AbortSignal) =>
		(await this.#events(`/api/tasks/${enc(id)}/events?since=${since}&wait=${waitSeconds}`, signal)).events;
	createTask = async (instruction: string, options: TaskOptions = {}) =>
		(await this.#call<{ task: Task }>("POST", "/api/tasks", { instruction, ...options })).task;
	cancelTask = async (id: string) => (await this.#call<{ task: Task }>("POST", `/api/tasks/${enc(id)}/cancel`)).task;

	/** Any other call (the activity list, settings and admin panels keep their paths beside them). */
	request = <T>(method: string, path: string, body?: unknown) => this.#call<T>(method, path, body);

	/** A page of events (`{ events }`), parsed at this boundary: typed from here on. */
	async #events(
		path: string,
		signal?: AbortSignal,
	): Promise<{ events: ClientEvent[]; count: number; lastSeq?: number }> {
		const answer = await this.#call<{ events?: unknown }>("GET", path, undefined, signal);
		const raw = Array.isArray(answer?.events) ? answer.events : [];
		const events = parseHubEvents(raw);
		return { events, count: raw.length, lastSeq: events.at(-1)?.seq };
	}

	async #call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
		let res: Response;
		try {
			res = await this.fetchImpl(`${this.baseUrl}${path}`, {
				method,
				headers: {
					Authorization: `Bearer ${this.token}`,
					...(body === undefined ? {} : { "Content-Type": "application/json" }),
				},
				body: body === undefined ? undefined : JSON.stringify(body),
				signal,
			});
		} catch (error) {
			if (signal?.aborted) throw error;
			throw new ApiError(0, "network", "Can't reach Sparky: check your connection and that the server is running.");
		}
		if (res.status === 204) return null as T;
		const json = (await res.json().catch(() => undefined)) as
			| { error?: { code?: string; message?: string; details?: unknown } }
			| undefined;
		if (!res.ok) {
			if (res.status === 401) this.onUnauthorized?.();
			const error = json?.error;
			throw new ApiError(
				res.status,
				error?.code ?? "http_error",
				error?.message ?? `HTTP ${res.status}`,
				error?.details,
			);
		}
		return json as T;
	}
}

/** What `POST /api/tasks` takes beside the instruction. */
export interface TaskOptions {
	allow_duplicates?: boolean;
	/** Uploaded files' ids (`/api/files`), up to 10. */
	attachments?: string[];
	/** The task's budget in US dollars (past it the run pauses for a decision). */
	max_cost_usd?: number;
}

const enc = encodeURIComponent;
const EVENTS_PAGE = 1000;

/**
 * What to tell a person about a failed call. A spent day or month budget (402 over HTTP, an
 * `error` frame on the socket) says which, how much, and when it resets, in the viewer's time.
 */
export function describeError(error: unknown): string {
	if ((error instanceof ApiError || error instanceof FrameError) && error.code === "budget_exceeded") {
		const budget = parseBudgetExceeded(error.details);
		if (budget) return describeBudgetExceeded(budget, formatTime);
	}
	if ((error instanceof ApiError || error instanceof FrameError) && error.code === "turn_running")
		return "Sparky is still answering, and this chat takes no new message until it ends (its setting is “Refuse”). Send it again when the answer ends, press Steer to add it to the running answer, or change the setting.";
	if (error instanceof ApiError) return error.message;
	return error instanceof Error ? error.message : String(error);
}
