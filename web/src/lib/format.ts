/** Small formatting helpers for the timeline: durations, token counts, JSON, times. */

export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return "";
	if (ms < 1000) return `${Math.round(ms)} ms`;
	const s = ms / 1000;
	if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
	const m = Math.floor(s / 60);
	const rest = Math.round(s % 60);
	return m < 60 ? `${m} min ${rest} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTokens(usage: { inputTokens: number; outputTokens: number }): string {
	const total = usage.inputTokens + usage.outputTokens;
	return `${total.toLocaleString("en-US")} tokens (${usage.inputTokens.toLocaleString("en-US")} in, ${usage.outputTokens.toLocaleString("en-US")} out)`;
}

/** JSON text pretty-printed; anything that isn't JSON comes back as it was. */
export function prettyJson(text: string | undefined): string {
	if (text === undefined || text === "") return "";
	try {
		return JSON.stringify(JSON.parse(text), null, 2);
	} catch {
		return text;
	}
}

/** The first `limit` characters (cut at a line end when one is near), and whether more exists. */
export function truncate(text: string, limit: number): { text: string; more: boolean } {
	if (text.length <= limit) return { text, more: false };
	const cut = text.lastIndexOf("\n", limit);
	const end = cut > limit * 0.6 ? cut : limit;
	return { text: `${text.slice(0, end)}…`, more: true };
}

/** "14:03" today, "Nov 23, 14:03" otherwise (the viewer's time zone). */
export function formatTime(ms: number, now = Date.now()): string {
	const date = new Date(ms);
	const sameDay = new Date(now).toDateString() === date.toDateString();
	const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
	return sameDay ? time : `${date.toLocaleDateString(undefined, { month: "short", day: "numeric" })}, ${time}`;
}

/** One line of a longer text, for lists. */
export function firstLine(text: string | undefined, max = 80): string {
	const line = (text ?? "").trim().split("\n")[0] ?? "";
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "just now", "2 min ago", "3 h ago", "yesterday", "5 days ago"; the exact time goes in a title. */
export function relativeTime(ms: number, now = Date.now()): string {
	const s = Math.max(0, Math.round((now - ms) / 1000));
	if (s < 45) return "just now";
	const m = Math.round(s / 60);
	if (m < 60) return `${m} min ago`;
	const h = Math.round(m / 60);
	if (h < 24) return `${h} h ago`;
	const d = Math.round(h / 24);
	if (d === 1) return "yesterday";
	return d < 30 ? `${d} days ago` : formatTime(ms, now);
}

/** Made once: `toLocaleString` with options builds a formatter per call (3 s of 10 with 1,000 rows, bench/board.mjs). */
let exact: Intl.DateTimeFormat | undefined;

/** The full local date and time, for a title. */
export function exactTime(ms: number): string {
	exact ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
	return exact.format(ms);
}
