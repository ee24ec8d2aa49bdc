/** Numbers callers hand the hub: a `since` cursor from a URL, a page limit from an RPC. */

/** A `since` from the connect URL: a whole number ≥ 0, or undefined (no replay) for anything else. */
export function parseCursor(value: string | null): number | undefined {
	if (value === null || value === "") return undefined;
	const n = Number(value);
	return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** A page size between 1 and 5,000 (1,000 when it isn't a whole number). */
export function clampLimit(limit: number): number {
	return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 5000) : 1000;
}
