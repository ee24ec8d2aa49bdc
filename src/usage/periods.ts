/** Budget periods, in UTC: a day from midnight, a month from its first day. */

/** `YYYY-MM-DD` of the UTC day `ms` falls in. */
export function dayOf(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYY-MM-01` of the UTC month `ms` falls in. */
export function monthStartOf(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 7)}-01`;
}

/** When the UTC day `ms` falls in ends. */
export function nextDayAt(ms: number): number {
	const d = new Date(ms);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** When the UTC month `ms` falls in ends. */
export function nextMonthAt(ms: number): number {
	const d = new Date(ms);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
