import { Board, type BoardSnapshot } from "../../../src/client/board.ts";
import type { AgentStatus, ClientEvent, Me, Task, TaskStatus } from "../../../src/protocol/index.ts";
import { type Api, describeError } from "../lib/api.ts";

/** Statuses of tasks that are not over: the snapshot reads every page of each. */
const ACTIVE: TaskStatus[] = ["running", "awaiting_approval", "queued", "waiting"];
const ENDED: TaskStatus[] = ["succeeded", "failed", "cancelled"];
/** At most this many pages of 100 per active status (10,000 tasks); more and the snapshot is partial. */
const MAX_PAGES = 100;
/** Ended tasks leave the board this often (and the chart's old minutes). */
const PRUNE_MS = 5_000;
/** An admin's hub hears nothing of others' runs: the board is the API, read this often. */
const POLL_MS = 5_000;

/**
 * The live board's data on the page (components/AgentBoard.tsx): the portable `Board`
 * (src/client/board.ts) fed with a snapshot from the API and then every event of this
 * user's hub. For the `agent` user that is every run's summary (`live`). An admin's hub
 * gets none of other users' runs, so an admin's board is the same API snapshot read again
 * every few seconds (`poll`): statuses, waits and outcomes, but no current tool.
 */
export class BoardFeed {
	readonly board = new Board();
	readonly mode: "live" | "poll" | "off";
	error: string | undefined;
	loaded = false;
	#timers: ReturnType<typeof setInterval>[] = [];
	#loading: Promise<void> | undefined;

	constructor(
		readonly api: Api,
		me: Me,
		readonly changed: () => void,
	) {
		this.mode = me.user_id === "agent" ? "live" : me.role === "admin" ? "poll" : "off";
	}

	start(): void {
		if (this.mode === "off") return;
		this.#timers.push(
			setInterval(() => {
				const before = this.board.version;
				this.board.prune(Date.now());
				if (this.board.version !== before) this.changed();
			}, PRUNE_MS),
		);
		if (this.mode === "poll") {
			this.#timers.push(setInterval(() => void this.reload(), POLL_MS));
			void this.reload();
		}
	}

	stop(): void {
		for (const timer of this.#timers) clearInterval(timer);
		this.#timers = [];
	}

	/** An event off this user's hub (live and replayed: the board ignores what it has seen). */
	onEvent(event: ClientEvent): void {
		if (this.mode === "live") this.board.apply(event);
	}

	/** The snapshot, again: when the socket is first live, and after `replay.truncated`. */
	reload(): Promise<void> {
		if (this.mode === "off") return Promise.resolve();
		this.#loading ??= this.#load().finally(() => {
			this.#loading = undefined;
		});
		return this.#loading;
	}

	async #load(): Promise<void> {
		const at = Date.now();
		try {
			const [status, active, ended] = await Promise.all([
				this.api.request<AgentStatus>("GET", "/api/agent/status"),
				Promise.all(ACTIVE.map((s) => this.#every(s))),
				Promise.all(ENDED.map((s) => this.#page(s))),
			]);
			const snapshot: BoardSnapshot = {
				status,
				tasks: [...ended.flatMap((p) => p.tasks), ...active.flatMap((p) => p.tasks)],
				at,
				complete: active.every((p) => p.complete),
			};
			this.board.load(snapshot);
			this.error = undefined;
		} catch (error) {
			this.error = describeError(error);
		}
		this.loaded = true;
		this.changed();
	}

	async #every(status: TaskStatus): Promise<{ tasks: Task[]; complete: boolean }> {
		const tasks: Task[] = [];
		let cursor: string | null = null;
		for (let page = 0; page < MAX_PAGES; page++) {
			const answer = await this.#page(status, cursor);
			tasks.push(...answer.tasks);
			cursor = answer.next_cursor;
			if (!cursor) return { tasks, complete: true };
		}
		return { tasks, complete: false };
	}

	#page(status: TaskStatus, cursor: string | null = null): Promise<{ tasks: Task[]; next_cursor: string | null }> {
		const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
		return this.api.request("GET", `/api/tasks?kind=all&limit=100&status=${status}${after}`);
	}
}
