import type { SparkyFile } from "../../../src/protocol/index.ts";
import { ApiError, describeError } from "../lib/api.ts";
import type { FileApi } from "../lib/files.ts";

const PAGE = 50;

/**
 * The Files panel's list: the user's uploads newest first; "Load more" follows the cursor
 * (each file once, however the pages overlap). A delete takes the row out in place.
 */
export class FileList {
	rows: SparkyFile[] = [];
	nextCursor: string | null = null;
	loading = false;
	/** At least one page has arrived (the empty state means something). */
	loaded = false;
	error: string | undefined;
	#generation = 0;

	constructor(
		readonly files: FileApi,
		readonly changed: () => void,
	) {}

	reload(): Promise<void> {
		return this.#load(++this.#generation, undefined);
	}

	loadMore(): Promise<void> {
		if (!this.nextCursor || this.loading) return Promise.resolve();
		return this.#load(this.#generation, this.nextCursor);
	}

	/** Deletes a file. One already gone is gone all the same. Throws on other refusals. */
	async remove(id: string): Promise<void> {
		try {
			await this.files.remove(id);
		} catch (error) {
			if (!(error instanceof ApiError && error.status === 404)) throw error;
		}
		this.rows = this.rows.filter((f) => f.id !== id);
		this.changed();
	}

	async #load(generation: number, cursor: string | undefined): Promise<void> {
		this.loading = true;
		this.changed();
		try {
			const page = await this.files.list({ limit: PAGE, ...(cursor ? { cursor } : {}) });
			if (generation !== this.#generation) return;
			if (cursor) {
				const known = new Set(this.rows.map((f) => f.id));
				this.rows = [...this.rows, ...page.files.filter((f) => !known.has(f.id))];
			} else this.rows = page.files;
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
