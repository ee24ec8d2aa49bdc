/**
 * The HTTP API, typed: one method per endpoint the CLI uses. Request bodies are the
 * protocol's types (callers validate them with the protocol's zod schemas first); answers
 * are checked against the protocol's schemas, and every failure becomes a `CliError` with
 * the right exit code: unreachable, 401/403, 404, 409, the API's `error.message` and `details`.
 */
import { z } from "zod";
import {
	type AgentStatus,
	AgentStatusSchema,
	ApprovalSchema,
	BudgetStatusSchema,
	ChatMessageSchema,
	ChatSchema,
	type CreateScheduleBody,
	type CreateTaskBody,
	type DecideApprovalBody,
	ErrorBodySchema,
	FileSchema,
	type Me,
	MeSchema,
	ScheduleSchema,
	type SendPolicy,
	TaskSchema,
	type TaskStatus,
	type Token,
	TokenSchema,
	UsageReportSchema,
	type User,
	type UserBudgetBody,
	UserSchema,
} from "../src/protocol/index.ts";
import { budgetExceededError, CliError, ExitCode, exitCodeForStatus } from "./errors.ts";
import type { Spinner } from "./output.ts";
import { terminalSafeDeep } from "./terminal-text.ts";

// The answers' schemas live with the rest of the protocol, shared with the Worker.
export { type AgentStatus, AgentStatusSchema, type Me, MeSchema, type Token, TokenSchema, type User, UserSchema };

const TaskAnswer = z.object({ task: TaskSchema });
/** `GET /api/tasks/:id`: the task and its approvals. */
const TaskViewAnswer = z.object({ task: TaskSchema.extend({ approvals: z.array(ApprovalSchema).optional() }) });
const ScheduleAnswer = z.object({ schedule: ScheduleSchema });
const ChatAnswer = z.object({ chat: ChatSchema });
const FileAnswer = z.object({ file: FileSchema });

export interface RequestOptions {
	body?: unknown;
	/** A body sent as is, not as JSON (an upload): streamed, with its type and length declared. */
	raw?: RawBody;
	query?: Record<string, string | number | undefined>;
	headers?: Record<string, string>;
	/** What the spinner says while waiting. */
	label?: string;
	/** Give up after this long (default 30 s; 0: never, e.g. with a `signal` of the caller's). */
	timeoutMs?: number;
	/** Aborts the request; its reason is what the call rejects with. */
	signal?: AbortSignal;
}

/** A request body of bytes: `length` is sent as Content-Length, so the server can refuse it before reading. */
export interface RawBody {
	stream: ReadableStream<Uint8Array>;
	type: string;
	length: number;
}

/** What the API answered: the parsed JSON body (the raw one, for `--json`) and the response. */
export interface Answer<T> {
	status: number;
	data: T;
	headers: Headers;
}

export class Api {
	readonly url: string;
	readonly token: string | undefined;
	readonly #spinner: ((text: string) => Spinner) | undefined;
	/** Human output: the server's strings are printed, so they come back terminal-safe (terminal-text.ts). */
	readonly #forTerminal: boolean;

	constructor(
		url: string,
		token: string | undefined,
		spinner?: (text: string) => Spinner,
		options: { forTerminal?: boolean } = {},
	) {
		this.url = url;
		this.token = token;
		this.#spinner = spinner;
		this.#forTerminal = options.forTerminal ?? false;
	}

	// ---- endpoints -------------------------------------------------------------------------

	me = () => this.get("/api/me", MeSchema, "checking the token");
	health = () => this.get("/api/health", z.object({ ok: z.boolean() }), "checking the server");

	createTask = (body: CreateTaskBody, idempotencyKey?: string) =>
		this.send("POST", "/api/tasks", TaskAnswer, {
			body,
			headers: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : undefined,
			label: "queueing the task",
		});
	listTasks = (query: { status?: TaskStatus; limit?: number; cursor?: string; kind?: string }) =>
		this.send("GET", "/api/tasks", z.object({ tasks: z.array(TaskSchema), next_cursor: z.string().nullable() }), {
			query,
			label: "listing tasks",
		});
	getTask = (id: string) => this.get(`/api/tasks/${enc(id)}`, TaskViewAnswer, "fetching the task");
	decideApproval = (taskId: string, approvalId: string, body: DecideApprovalBody) =>
		this.send(
			"POST",
			`/api/tasks/${enc(taskId)}/approvals/${enc(approvalId)}`,
			z.object({ approval: ApprovalSchema }),
			{
				body,
				label: body.approved ? "approving" : "denying",
			},
		);
	cancelTask = (id: string) => this.send("POST", `/api/tasks/${enc(id)}/cancel`, TaskAnswer, { label: "cancelling" });
	deleteTask = (id: string) => this.send("DELETE", `/api/tasks/${enc(id)}`, z.unknown(), { label: "deleting" });
	clearTasks = (body: { status?: string | string[]; created_before?: number | string }) =>
		this.send("POST", "/api/tasks/clear", z.object({ deleted: z.number() }), { body, label: "clearing tasks" });
	agentStatus = () => this.get("/api/agent/status", AgentStatusSchema, "fetching the agent's status");

	listSchedules = () =>
		this.get("/api/schedules", z.object({ schedules: z.array(ScheduleSchema) }), "listing schedules");
	getSchedule = (name: string) => this.get(`/api/schedules/${enc(name)}`, ScheduleAnswer, "fetching the schedule");
	createSchedule = (body: CreateScheduleBody) =>
		this.send("POST", "/api/schedules", ScheduleAnswer, { body, label: "creating the schedule" });
	deleteSchedule = (name: string) =>
		this.send("DELETE", `/api/schedules/${enc(name)}`, z.unknown(), { label: "deleting the schedule" });
	setScheduleEnabled = (name: string, enabled: boolean) =>
		this.send("POST", `/api/schedules/${enc(name)}/${enabled ? "enable" : "disable"}`, ScheduleAnswer, {
			label: enabled ? "enabling" : "disabling",
		});
	runSchedule = (name: string) =>
		this.send("POST", `/api/schedules/${enc(name)}/run`, TaskAnswer, { label: "starting a run" });

	listChats = () => this.get("/api/chats", z.object({ chats: z.array(ChatSchema) }), "listing chats");
	getChat = (id: string) => this.get(`/api/chats/${enc(id)}`, ChatAnswer, "fetching the chat");
	setChatPolicy = (id: string, policy: SendPolicy) =>
		this.send("PATCH", `/api/chats/${enc(id)}`, ChatAnswer, { body: { policy }, label: "setting the policy" });
	deleteChat = (id: string) =>
		this.send("DELETE", `/api/chats/${enc(id)}`, z.unknown(), { label: "deleting the chat" });
	chatMessages = (id: string, limit: number) =>
		this.send(
			"GET",
			`/api/chats/${enc(id)}/messages`,
			z.object({ chat_id: z.string(), messages: z.array(ChatMessageSchema), next_before: z.string().nullable() }),
			{ query: { limit }, label: "fetching the history" },
		);
	wsTicket = () => this.send("POST", "/api/ws-ticket", z.object({ ticket: z.string() }), { label: "opening" });

	/** No overall timeout (a large file on a slow line takes minutes): the caller's `signal` stops a stalled one. */
	uploadFile = (name: string, raw: RawBody, signal: AbortSignal) =>
		this.send("POST", "/api/files", FileAnswer, { raw, query: { name }, timeoutMs: 0, signal });
	listFiles = (query: { limit?: number; cursor?: string }) =>
		this.send("GET", "/api/files", z.object({ files: z.array(FileSchema), next_cursor: z.string().nullable() }), {
			query,
			label: "listing files",
		});
	getFile = (id: string) => this.get(`/api/files/${enc(id)}`, FileAnswer, "fetching the file");
	deleteFile = (id: string) =>
		this.send("DELETE", `/api/files/${enc(id)}`, z.unknown(), { label: "deleting the file" });

	createUser = (body: { id: string; role?: string }) =>
		this.send("POST", "/api/users", z.object({ user: UserSchema }), { body, label: "creating the user" });
	listUsers = () => this.get("/api/users", z.object({ users: z.array(UserSchema) }), "listing users");
	createToken = (user: string, body: { name?: string; role?: string; expires_in?: string }) =>
		this.send("POST", `/api/users/${enc(user)}/tokens`, TokenSchema.extend({ token: z.string() }), {
			body,
			label: "creating the token",
		});
	listTokens = (user: string) =>
		this.get(`/api/users/${enc(user)}/tokens`, z.object({ tokens: z.array(TokenSchema) }), "listing tokens");
	revokeToken = (id: string) =>
		this.send("DELETE", `/api/tokens/${enc(id)}`, z.object({ token: TokenSchema, sockets_closed: z.number() }), {
			label: "revoking",
		});

	usage = (query: { by: string; since?: string; until?: string; user?: string; limit?: number }) =>
		this.send("GET", "/api/usage", UsageReportSchema, { query, label: "adding up usage" });
	myBudget = () => this.get("/api/me/budget", BudgetStatusSchema, "fetching your budget");
	userBudget = (user: string) => this.get(`/api/users/${enc(user)}/budget`, BudgetStatusSchema, "fetching the budget");
	setUserBudget = (user: string, body: UserBudgetBody) =>
		this.send("PUT", `/api/users/${enc(user)}/budget`, BudgetStatusSchema, { body, label: "setting the budget" });

	// ---- plumbing --------------------------------------------------------------------------

	get<S extends z.ZodType>(path: string, schema: S, label: string): Promise<Answer<z.output<S>>> {
		return this.send("GET", path, schema, { label });
	}

	async send<S extends z.ZodType>(
		method: string,
		path: string,
		schema: S,
		options: RequestOptions = {},
	): Promise<Answer<z.output<S>>> {
		const response = await this.fetch(method, path, options);
		const text = await response.text();
		const json = parseJson(text);
		if (!response.ok) throw this.apiError(response, json, text);
		if (response.status === 204) return { status: 204, data: undefined as z.output<S>, headers: response.headers };
		if (json === undefined) throw this.notSparky(response, text);
		const checked = schema.safeParse(json);
		if (!checked.success) {
			throw new CliError(
				`unexpected answer from ${method} ${path} (is the server a different Sparky version?)`,
				ExitCode.error,
				"unexpected_response",
				checked.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`),
			);
		}
		// The body as sent (unknown fields kept), so `--json` shows everything the server said.
		const data = (this.#forTerminal ? terminalSafeDeep(json) : json) as z.output<S>;
		return { status: response.status, data, headers: response.headers };
	}

	/** A raw request (for the SSE stream): connection errors become `CliError`s, statuses are the caller's. */
	async fetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
		const url = new URL(this.url + path);
		for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
		const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
		if (this.token) headers.Authorization = `Bearer ${this.token}`;
		if (options.body !== undefined) headers["Content-Type"] = "application/json";
		if (options.raw) {
			headers["Content-Type"] = options.raw.type;
			headers["Content-Length"] = String(options.raw.length);
		}
		const timeout = options.timeoutMs === 0 ? undefined : AbortSignal.timeout(options.timeoutMs ?? 30_000);
		const signal = timeout && options.signal ? AbortSignal.any([timeout, options.signal]) : (timeout ?? options.signal);
		const spin = options.label ? this.#spinner?.(`${options.label}…`) : undefined;
		try {
			return await fetch(url, {
				method,
				headers,
				body: options.raw?.stream ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
				// A stream body goes out as it is read (Node's fetch requires saying so).
				...(options.raw ? { duplex: "half" } : {}),
				signal,
			});
		} catch (error) {
			if (options.signal?.aborted) throw error;
			throw this.unreachable(error);
		} finally {
			spin?.stop();
		}
	}

	unreachable(error: unknown): CliError {
		const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(this.url);
		return new CliError(
			`cannot reach Sparky at ${this.url}: ${describeNetworkError(error)}; ${local ? "is it running? try `sparky serve`" : "is the URL right, and is the server up?"}`,
			ExitCode.unreachable,
			"unreachable",
		);
	}

	apiError(response: Response, json: unknown, text: string): CliError {
		const body = ErrorBodySchema.safeParse(json);
		if (!body.success) {
			if (response.status === 401) return unauthorized(this.url);
			return new CliError(
				`the server at ${this.url} answered HTTP ${response.status} ${response.statusText}${text.trim() && json === undefined ? " (not JSON: is this a Sparky server?)" : ""}`,
				response.status >= 500 || json !== undefined ? ExitCode.error : ExitCode.unreachable,
				"http_error",
			);
		}
		const { code, message, details } = body.data.error;
		if (code === "budget_exceeded") return budgetExceededError(message, details);
		const exit = exitCodeForStatus(response.status, code);
		if (response.status === 401) return unauthorized(this.url, message);
		const hint =
			response.status === 403
				? "this needs an admin token"
				: response.status === 429 && response.headers.get("Retry-After")
					? `retry in ${response.headers.get("Retry-After")} s`
					: undefined;
		return new CliError(message, exit, code, details, hint);
	}

	notSparky(response: Response, text: string): CliError {
		const type = response.headers.get("Content-Type") ?? "no content type";
		return new CliError(
			`the server at ${this.url} did not answer like Sparky (HTTP ${response.status}, ${type}${text ? `: ${text.slice(0, 60).replace(/\s+/g, " ")}` : ""})`,
			ExitCode.unreachable,
			"unreachable",
		);
	}
}

export function unauthorized(url: string, reason?: string): CliError {
	return new CliError(
		`the token was not accepted by ${url}${reason ? ` (${reason})` : ""}; run \`sparky login\``,
		ExitCode.auth,
		"unauthorized",
	);
}

const enc = encodeURIComponent;

function parseJson(text: string): unknown {
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** `ECONNREFUSED 127.0.0.1:1`, `getaddrinfo ENOTFOUND nowhere.invalid`, `timed out after 30 s`… */
function describeNetworkError(error: unknown): string {
	const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
	if (e?.name === "TimeoutError") return "no answer (timed out)";
	const cause = e?.cause;
	if (cause?.message) return cause.message;
	if (cause?.code) return cause.code;
	return e?.message ?? String(error);
}
