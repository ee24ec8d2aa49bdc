import type { Timeline } from "../../../src/client/index.ts";
import {
	type ClientEvent,
	CustomName,
	EventType,
	type Task,
	type TaskKind,
	type TaskStatus,
} from "../../../src/protocol/index.ts";
import { type Api, describeError } from "../lib/api.ts";

/** What the activity list shows: the server's filters (`GET /api/tasks`). */
export interface ActivityFilters {
	status?: TaskStatus;
	/** `all`: background tasks and chat turns (chat turns are only listed to their watchers). */
	kind: TaskKind | "all";
	/** One creator's tasks (watchers). */
	user?: string;
	/** A piece of the instruction. */
	q?: string;
}

/** One row: what the list needs of a task. Its live status comes from the timeline. */
export type ActivityRow = Pick<
	Task,
	"id" | "kind" | "user_id" | "instruction" | "status" | "created_at" | "updated_at"
>;

const PAGE = 30;
/**
 * At most this many rows: tasks made while the list is open go on top, and with a thousand
 * running (the agent's view) they would grow the list, and every render, without end. Past
 * it the oldest rows go, and "Load more" starts again from the first page.
 */
const MAX_ROWS = 200;

/**
 * The sidebar's list of tasks, in the server's order (creation time, newest first) so rows
 * never move while tasks run; "Load more" follows the cursor. A task created while the list
 * is open (its first status event) goes on top when it matches the filters.
 */
export class ActivityList {
	filters: ActivityFilters = { kind: "task" };
	rows: ActivityRow[] = [];
	nextCursor: string | null = null;
	/** Rows were dropped from the bottom (MAX_ROWS): the cursor no longer follows them. */
	trimmed = false;
	loading = false;
	error: string | undefined;
	#generation = 0;
	/**
	 * Rows put on top while a first page was on its way (a task made, a first status heard):
	 * the page may have been read before they existed, so replacing the rows with it keeps them.
	 */
	#addedSinceAsked = new Set<string>();

	constructor(
		readonly api: Api,
		readonly timeline: Timeline,
		readonly changed: () => void,
	) {}

	async setFilters(change: Partial<ActivityFilters>): Promise<void> {
		this.filters = { ...this.filters, ...change };
		await this.reload();
	}

	/** The first page again (filters changed, or everything is reloaded). */
	reload(): Promise<void> {
		return this.#load(++this.#generation, undefined);
	}

	loadMore(): Promise<void> {
		if (this.trimmed && !this.loading) return this.reload();
		if (!this.nextCursor || this.loading) return Promise.resolve();
		return this.#load(this.#generation, this.nextCursor);
	}

	/** One page: the first (replacing the rows) or the one after `cursor` (appended). A page for filters that changed meanwhile is dropped. */
	async #load(generation: number, cursor: string | undefined): Promise<void> {
		this.loading = true;
		if (!cursor) this.#addedSinceAsked.clear();
		this.changed();
		try {
			const page = await this.#fetch(cursor);
			if (generation !== this.#generation) return;
			if (cursor) {
				const known = new Set(this.rows.map((r) => r.id));
				this.rows = [...this.rows, ...page.tasks.filter((t) => !known.has(t.id))];
			} else {
				const listed = new Set(page.tasks.map((t) => t.id));
				const newer = this.rows.filter((r) => this.#addedSinceAsked.has(r.id) && !listed.has(r.id));
				this.rows = [...newer, ...page.tasks].sort(newestFirst);
				this.trimmed = false;
			}
			this.nextCursor = page.next_cursor;
			this.error = undefined;
			this.timeline.applyTasks(page.tasks);
		} catch (error) {
			if (generation === this.#generation) this.error = describeError(error);
		} finally {
			if (generation === this.#generation) this.loading = false;
			this.changed();
		}
	}

	/** A task made here (the form): on top at once, whatever the socket does. */
	added(task: Task): void {
		if (this.#matches(task)) this.#insert(task);
	}

	onEvent(event: ClientEvent): void {
		if (event.type !== EventType.CUSTOM || event.name !== CustomName.taskStatus) return;
		const v = event.value;
		// Only a task's first status (made just now) is new to the list; older tasks come with pages.
		if (v.attempt !== 0 || (v.status !== "queued" && v.status !== "waiting")) return;
		const row: ActivityRow = {
			id: v.task_id,
			kind: v.kind ?? "task",
			user_id: v.user_id,
			instruction: v.instruction ?? "",
			status: v.status,
			created_at: event.ts,
			updated_at: event.ts,
		};
		if (this.#matches(row)) this.#insert(row);
	}

	#insert(row: ActivityRow): void {
		if (this.rows.some((r) => r.id === row.id)) return;
		this.#addedSinceAsked.add(row.id);
		this.rows = [row, ...this.rows].sort(newestFirst);
		if (this.rows.length > MAX_ROWS) {
			this.rows.length = MAX_ROWS;
			this.trimmed = true;
			this.nextCursor = null;
		}
		this.changed();
	}

	#matches(row: ActivityRow): boolean {
		const f = this.filters;
		if (f.status && row.status !== f.status) return false;
		if (f.kind !== "all" && row.kind !== f.kind) return false;
		if (f.user && row.user_id !== f.user) return false;
		return !f.q || row.instruction.toLowerCase().includes(f.q.toLowerCase());
	}

	#fetch(cursor?: string): Promise<{ tasks: Task[]; next_cursor: string | null }> {
		const f = this.filters;
		const query = new URLSearchParams({ limit: String(PAGE), kind: f.kind });
		if (f.status) query.set("status", f.status);
		if (f.user) query.set("user", f.user);
		if (f.q) query.set("q", f.q);
		if (cursor) query.set("cursor", cursor);
		return this.api.request("GET", `/api/tasks?${query}`);
	}
}

/** The server's order: creation time, newest first, then id. */
function newestFirst(a: ActivityRow, b: ActivityRow): number {
	return b.created_at - a.created_at || (a.id < b.id ? 1 : -1);
}
