import { ApiError, describeError } from "../lib/api.ts";

/** One page of a list the API pages with a cursor. */
export interface Page<Row> {
	rows: Row[];
	next_cursor: string | null;
}

const PAGE = 50;

/**
 * A panel's list the API pages by cursor: "Load more" follows the cursor (each row once,
 * however the pages overlap), a page asked for before the latest reload is dropped, a delete
 * takes the row out in place. What a page is and how a row is deleted is the subclass's.
 */
export abstract class PagedList<Row extends { id: string }> {
	rows: Row[] = [];
	nextCursor: string | null = null;
	loading = false;
	/** At least one page has arrived (the empty state means something). */
	loaded = false;
	error: string | undefined;
	#generation = 0;

	constructor(readonly changed: () => void) {}

	/** One page of `limit` rows, from `cursor` (undefined: the first). */
	protected abstract fetchPage(limit: number, cursor: string | undefined): Promise<Page<Row>>;
	protected abstract deleteRow(id: string): Promise<void>;

	reload(): Promise<void> {
		return this.#load(++this.#generation, undefined);
	}

	loadMore(): Promise<void> {
		if (!this.nextCursor || this.loading) return Promise.resolve();
		return this.#load(this.#generation, this.nextCursor);
	}

	/** Deletes a row. One already gone is gone all the same. Throws on other refusals. */
	async remove(id: string): Promise<void> {
		try {
			await this.deleteRow(id);
		} catch (error) {
			if (!(error instanceof ApiError && error.status === 404)) throw error;
		}
		this.rows = this.rows.filter((r) => r.id !== id);
		this.changed();
	}

	async #load(generation: number, cursor: string | undefined): Promise<void> {
		this.loading = true;
		this.changed();
		try {
			const page = await this.fetchPage(PAGE, cursor);
			if (generation !== this.#generation) return;
			if (cursor) {
				const known = new Set(this.rows.map((r) => r.id));
				this.rows = [...this.rows, ...page.rows.filter((r) => !known.has(r.id))];
			} else this.rows = page.rows;
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
