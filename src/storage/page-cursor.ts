import { invalid } from "../errors.ts";
import { base64url, OpaqueIdSchema } from "../protocol/index.ts";

/**
 * Keyset paging: a page ends at a row's sort key, and the next page starts after it. The
 * key travels as an opaque string (base64url of a JSON array) so clients never build one.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
	return base64url(new TextEncoder().encode(JSON.stringify(key)));
}

/**
 * The sort key inside a cursor, checked by `accept` (which returns the typed key, or
 * undefined when the cursor isn't one of ours). A bad cursor is the caller's mistake: 400.
 */
export function decodeCursor<T>(text: string, accept: (key: unknown[]) => T | undefined, hint: string): T {
	try {
		const bytes = Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
		const key: unknown = JSON.parse(new TextDecoder().decode(bytes));
		const accepted = Array.isArray(key) ? accept(key) : undefined;
		if (accepted !== undefined) return accepted;
	} catch {
		// fall through: not base64 or not JSON
	}
	throw invalid(`invalid cursor (${hint})`);
}

/** The usual key of a newest-first list: a time and an id (`[at, id]`). */
export function decodeTimeIdCursor(text: string): { at: number; id: string } {
	return decodeCursor(
		text,
		([at, id]) =>
			Number.isSafeInteger(at) && OpaqueIdSchema.safeParse(id).success
				? { at: at as number, id: id as string }
				: undefined,
		"use next_cursor from the previous page",
	);
}
