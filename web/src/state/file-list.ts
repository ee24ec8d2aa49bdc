import type { SparkyFile } from "../../../src/protocol/index.ts";
import type { FileApi } from "../lib/files.ts";
import { type Page, PagedList } from "./paged-list.ts";

/** The Files panel's list: the user's uploads newest first (paging and deleting: `PagedList`). */
export class FileList extends PagedList<SparkyFile> {
	constructor(
		readonly files: FileApi,
		changed: () => void,
	) {
		super(changed);
	}

	protected async fetchPage(limit: number, cursor: string | undefined): Promise<Page<SparkyFile>> {
		const page = await this.files.list({ limit, ...(cursor ? { cursor } : {}) });
		return { rows: page.files, next_cursor: page.next_cursor };
	}

	protected deleteRow(id: string): Promise<void> {
		return this.files.remove(id);
	}
}
