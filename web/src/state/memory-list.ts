import type { Memory } from "../../../src/protocol/index.ts";
import type { MemoryApi, MemoryChange } from "../lib/memories.ts";
import { type Page, PagedList } from "./paged-list.ts";

/**
 * The Memory panel's list: the user's memories newest first, or, with a search, the best
 * matches first (paging, a page for a search that changed meanwhile dropped, deleting:
 * `PagedList`). Adding, editing and pinning change the list in place from the server's
 * answer (no reload, nothing moves under the reader).
 */
export class MemoryList extends PagedList<Memory> {
	query = "";
	pinnedOnly = false;

	constructor(
		readonly memories: MemoryApi,
		changed: () => void,
	) {
		super(changed);
	}

	search(query: string): Promise<void> {
		this.query = query;
		return this.reload();
	}

	showPinnedOnly(on: boolean): Promise<void> {
		this.pinnedOnly = on;
		return this.reload();
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

	protected async fetchPage(limit: number, cursor: string | undefined): Promise<Page<Memory>> {
		const page = await this.memories.list({
			q: this.query,
			pinned: this.pinnedOnly,
			limit,
			...(cursor ? { cursor } : {}),
		});
		return { rows: page.memories, next_cursor: page.next_cursor };
	}

	protected deleteRow(id: string): Promise<void> {
		return this.memories.remove(id);
	}
}
