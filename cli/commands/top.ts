/**
 * `sparky agent top`: the agent's live board (issue #31) in the terminal. The board
 * (src/client/board.ts) starts from the API (`GET /api/agent/status`, `GET /api/tasks`) and
 * follows the signed-in user's hub over the socket (HubClient, src/client): the `agent` user's
 * hub hears a summary of every run, anyone else's hub their own tasks. On a terminal it is
 * redrawn in place (cli/top-screen.ts, cli/top-render.ts); `--json` writes the board's
 * changes as JSON lines; without a terminal it prints the board once.
 */
import type { Command } from "commander";
import { Board, type BoardFilter, type BoardSnapshot } from "../../src/client/board.ts";
import { HubClient } from "../../src/client/index.ts";
import { type ClientEvent, CloseCode, type TaskStatus, TaskStatusSchema } from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { unauthorized } from "../http.ts";
import { terminalSafeDeep } from "../terminal-text.ts";
import { renderScreen, rowJson, viewRows } from "../top-render.ts";
import { type QuitReason, Screen } from "../top-screen.ts";

/** Characters a WebSocket sub-protocol may hold (an RFC 7230 token). */
const PROTOCOL_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ACTIVE: TaskStatus[] = ["awaiting_approval", "running", "queued", "waiting"];
/** Awaiting tasks whose approvals the snapshot reads (one request each). */
const APPROVALS_READ = 20;
const PRUNE_EVERY_MS = 5_000;
/** Durations on the screen tick even when nothing happens. */
const TICK_MS = 1_000;

interface TopOptions {
	user?: string;
	status?: string;
	tool?: string;
}

export function addTopCommand(agent: Command): void {
	agent
		.command("top")
		.description("the agent's live board: what every task is doing now, refreshed in place (q quits)")
		.option("--user <id>", "only tasks this user created")
		.option(
			"--status <status>",
			`only tasks in this status (${[...TaskStatusSchema.options, "active"].join(", ")}; approval: awaiting_approval)`,
		)
		.option("--tool <name>", "only tasks calling (or last called) this tool")
		.addHelpText(
			"after",
			`
Signed in as the \`agent\` user you see every user's tasks live (its hub hears a summary of
every run); anyone else sees their own tasks. Approvals waiting are on top, then running
tasks (the tool each calls now and for how long), queued ones, and the recently ended at the
bottom. q or Ctrl+C quits. --json writes the board's changes as JSON lines instead (a
\`snapshot\` line, then a \`task\` line per change); without a terminal the board is printed once.`,
		)
		.action(act((ctx, options: TopOptions) => top(ctx, options)));
}

async function top(ctx: Context, options: TopOptions): Promise<number> {
	const filter = parseFilter(options);
	const { out } = ctx;
	const api = ctx.api();
	const me = (await api.me()).data;
	const board = new Board();

	// Without a terminal or --json: the board as it is now, once.
	if (!out.json && !out.tty) {
		board.load(await snapshot(ctx));
		const lines = renderScreen(board.view(Date.now(), filter), {
			user: me.user_id,
			url: api.url,
			link: "snapshot",
			filters: filterText(filter),
			now: Date.now(),
			width: out.columns,
			height: Number.POSITIVE_INFINITY,
			c: out.c,
		});
		out.line(lines.join("\n"));
		return ExitCode.ok;
	}

	return new Promise<number>((resolve, reject) => {
		let link = "connecting";
		let loaded = false;
		/** A snapshot is being read; `again`: read another once it is in (events were lost meanwhile). */
		let loading = false;
		let again = false;
		/** Events that arrived before the snapshot: applied after it. */
		let early: ClientEvent[] = [];
		let screen: Screen | undefined;
		let done = false;

		const finish = (code: number | CliError) => {
			if (done) return;
			done = true;
			clearInterval(ticker);
			client.close();
			screen?.leave();
			process.off("SIGINT", onSigint);
			if (code instanceof CliError) reject(code);
			else resolve(code);
		};
		const onQuit = (reason: QuitReason) => finish(reason === "q" ? ExitCode.ok : ExitCode.interrupted);
		// --json: Ctrl+C ends the stream (the screen handles it itself).
		const onSigint = () => finish(ExitCode.interrupted);
		if (out.json) process.on("SIGINT", onSigint);

		const emit = (value: unknown) => {
			if (!done) out.printJsonLine(value);
		};
		const matching = (id: string) => {
			if (!board.row(id)) return undefined;
			return viewRows(board.view(Date.now(), filter)).find((r) => r.id === id);
		};
		const apply = (event: ClientEvent) => {
			if (!board.apply(event)) return;
			if (out.json) {
				const id = event.task_id;
				const row = id ? matching(id) : undefined;
				if (row)
					emit({
						type: "task",
						seq: event.seq,
						event: eventName(event),
						task: rowJson(row),
						counts: board.counts(Date.now()),
					});
			} else screen?.update();
		};
		const load = () => {
			if (loading) {
				again = true;
				return;
			}
			loading = true;
			snapshot(ctx)
				.then((snap) => {
					board.load(snap);
					loaded = true;
					if (out.json) {
						const view = board.view(Date.now(), filter);
						emit({
							type: "snapshot",
							at: snap.at,
							counts: view.counts,
							tasks: viewRows(view).map(rowJson),
						});
					}
					const pending = early;
					early = [];
					for (const event of pending) apply(event);
					screen?.update();
				})
				.catch((error: unknown) => finish(error instanceof CliError ? error : new CliError(String(error))))
				.finally(() => {
					loading = false;
					if (again && !done) {
						again = false;
						load();
					}
				});
		};

		const { url, token } = ctx.connection();
		const client = new HubClient({
			baseUrl: url,
			auth: PROTOCOL_TOKEN.test(token) ? { token } : { ticket: async () => (await api.wsTicket()).data.ticket },
			onEvent: (raw) => {
				// The screen prints other users' words: terminal-safe (`--json` keeps them as sent).
				const event = out.json ? raw : terminalSafeDeep(raw);
				if (loaded) apply(event);
				else early.push(event);
			},
			onControl: (message) => {
				// The socket is live (events from now on reach us): the snapshot may be taken.
				if (message.type === "session" && !loaded) load();
				// Events were lost to retention: what the board knows may be stale; ask again.
				if (message.type === "replay.truncated" && loaded) load();
			},
			onStatus: (status, detail) => {
				link = status === "open" ? "live" : status === "reconnecting" ? "reconnecting…" : status;
				screen?.update();
				if (status === "closed" && detail?.code === CloseCode.unauthorized) {
					finish(unauthorized(url, "it was revoked or expired"));
				}
			},
		});

		const ticker = setInterval(
			() => {
				board.prune(Date.now());
				screen?.update();
			},
			out.json ? PRUNE_EVERY_MS : TICK_MS,
		);

		if (!out.json) {
			screen = new Screen({
				onQuit,
				draw: (width, height) =>
					renderScreen(board.view(Date.now(), filter), {
						user: me.user_id,
						url: api.url,
						link: loaded ? link : `${link} (loading…)`,
						filters: filterText(filter),
						now: Date.now(),
						width,
						height,
						c: out.c,
					}),
			});
			screen.enter();
		}
		client.connect();
	});
}

/** What the API says now: the agent's status, the active tasks, the last ended ones, waiting approvals. */
async function snapshot(ctx: Context): Promise<BoardSnapshot> {
	const api = ctx.api();
	const at = Date.now();
	const [status, recent, ...active] = await Promise.all([
		api.agentStatus(),
		api.listTasks({ kind: "all", limit: 20 }),
		...ACTIVE.map((s) => api.listTasks({ status: s, kind: "all", limit: 100 })),
	]);
	const tasks = [...recent.data.tasks, ...active.flatMap((a) => a.data.tasks)];
	const awaiting = tasks.filter((t) => t.status === "awaiting_approval").slice(0, APPROVALS_READ);
	const views = await Promise.all(awaiting.map((t) => api.getTask(t.id).catch(() => undefined)));
	const approvals = views.flatMap((v) => v?.data.task.approvals ?? []).filter((a) => a.status === "pending");
	return { status: status.data, tasks, approvals, at };
}

function parseFilter(options: TopOptions): BoardFilter {
	const filter: BoardFilter = {};
	if (options.user) filter.creator = options.user;
	if (options.tool) filter.tool = options.tool;
	if (options.status) {
		const status = options.status === "approval" ? "awaiting_approval" : options.status;
		if (status !== "active" && !TaskStatusSchema.safeParse(status).success) {
			throw usageError(`--status: one of ${[...TaskStatusSchema.options, "active"].join(", ")}`);
		}
		filter.status = status as BoardFilter["status"];
	}
	return filter;
}

function filterText(filter: BoardFilter): string {
	return [
		filter.creator ? `user=${filter.creator}` : "",
		filter.status ? `status=${filter.status}` : "",
		filter.tool ? `tool=${filter.tool}` : "",
	]
		.filter(Boolean)
		.join(" ");
}

/** What happened: the event type, or a CUSTOM event's name (`sparky.task.status`). */
function eventName(event: ClientEvent): string {
	return "name" in event && typeof event.name === "string" ? event.name : event.type;
}
