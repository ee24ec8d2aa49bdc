import type { Memory } from "../../../src/protocol/index.ts";
import { ApiError, describeError } from "../lib/api.ts";
import type { MemoryApi, MemoryChange } from "../lib/memories.ts";

const PAGE = 50;

/**
 * The Memory panel's list: the user's memories newest first, or, with a search, the best
 * matches first; "Load more" follows the cursor. Adding, editing, pinning and deleting
 * change the list in place from the server's answer (no reload, nothing moves under the
 * reader). A page for a search that changed meanwhile is dropped.
 */
export class MemoryList {
	query = "";
	pinnedOnly = false;
	rows: Memory[] = [];
	nextCursor: string | null = null;
	loading = false;
	/** At least one page has arrived (the empty state means something). */
	loaded = false;
	error: string | undefined;
	#generation = 0;

	constructor(
		readonly memories: MemoryApi,
		readonly changed: () => void,
	) {}

	search(query: string): Promise<void> {
		this.query = query;
		return this.reload();
	}

	showPinnedOnly(on: boolean): Promise<void> {
		this.pinnedOnly = on;
		return this.reload();
	}

	reload(): Promise<void> {
		return this.#load(++this.#generation, undefined);
	}

	loadMore(): Promise<void> {
		if (!this.nextCursor || this.loading) return Promise.resolve();
		return this.#load(this.#generation, this.nextCursor);
	}

	/** Saves a new memory; it goes on top when the list would show it. Throws on refusal (the form says why). */
	async add(body: { text: string; tags?: string[]; pinned?: boolean }): Promise<Memory> {
		const memory = await this.memories.create(body);
		if (!this.query.trim() && (!this.pinnedOnly || memory.pinned)) {
			this.rows = [memory, ...this.rows.filter((m) => m.id !== memory.id)];
		}
		this.changed();
		return memory;
	}

	/** Edits or (un)pins a memory; its row shows the server's answer. Throws on refusal. */
	async update(id: string, change: MemoryChange): Promise<Memory> {
		const memory = await this.memories.update(id, change);
		this.rows = this.rows.map((m) => (m.id === id ? memory : m));
		this.changed();
		return memory;
	}

	/** Forgets a memory. One already gone is gone all the same. Throws on other refusals. */
	async remove(id: string): Promise<void> {
		try {
			await this.memories.remove(id);
		} catch (error) {
			if (!(error instanceof ApiError && error.status === 404)) throw error;
		}
		this.rows = this.rows.filter((m) => m.id !== id);
		this.changed();
	}

	async #load(generation: number, cursor: string | undefined): Promise<void> {
		this.loading = true;
		this.changed();
		try {
			const page = await this.memories.list({
				q: this.query,
				pinned: this.pinnedOnly,
				limit: PAGE,
				...(cursor ? { cursor } : {}),
			});
			if (generation !== this.#generation) return;
			if (cursor) {
				const known = new Set(this.rows.map((m) => m.id));
				this.rows = [...this.rows, ...page.memories.filter((m) => !known.has(m.id))];
			} else this.rows = page.memories;
			this.nextCursor = page.next_cursor;
			this.error = undefined;
			this.loaded = true;
		} catch (error) {
			if (generation === this.#generation) this.error = describeError(error);
		} finally {
			if (generation === this.#generation) this.loading = false;
			this.changed();
		}
	}
}
