/** How a tool call reads at a glance: its key argument, and how to show its result. */

/** Arguments that say what a call is about, most telling first. */
const KEY_FIELDS = ["url", "path", "instruction", "folder", "query", "command", "name", "status", "timezone"];

/** Past this many characters a key argument is cut (the full arguments are one click away). */
export const KEY_MAX = 80;

function parse(text: string | undefined): unknown {
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function oneLine(text: string, max = KEY_MAX): string {
	const line = text.replace(/\s+/g, " ").trim();
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The argument a reader wants on the step's line: `README.md`, `https://…`; "" when none. */
export function keyArgument(argsText: string | undefined): string {
	const args = parse(argsText);
	if (!isRecord(args)) return "";
	for (const field of KEY_FIELDS) {
		const value = args[field];
		if (typeof value === "string" && value.trim()) return oneLine(value);
	}
	const first = Object.values(args).find((v) => typeof v === "string" && v.trim());
	if (typeof first === "string") return oneLine(first);
	const scalar = Object.entries(args).find(([, v]) => typeof v === "number" || typeof v === "boolean");
	return scalar ? `${scalar[0]}: ${String(scalar[1])}` : "";
}

/**
 * A result as a person reads it. `text`: the main thing the tool returned (an error message,
 * a page's text, a file's content), with real line breaks; `json`: the whole result
 * pretty-printed (shown on demand when `text` is only part of it); `note`: a few words for
 * the step's line ("HTTP 404 from example.com", the error).
 */
export interface ResultView {
	text: string;
	json?: string;
	error: boolean;
	note?: string;
}

/** Fields that carry a tool's main text output. */
const TEXT_FIELDS = ["error", "text", "content", "message", "result", "output"];

export function resultView(resultText: string | undefined): ResultView {
	if (resultText === undefined) return { text: "", error: false };
	const value = parse(resultText);
	if (typeof value === "string") return { text: value, error: false };
	if (!isRecord(value)) {
		// Not JSON (plain text as it came), or an array / number: shown as it is or pretty.
		if (value === undefined) return { text: resultText, error: false };
		const json = JSON.stringify(value, null, 2);
		return { text: json, json, error: false };
	}
	const json = JSON.stringify(value, null, 2);
	const error = typeof value.error === "string";
	const field = TEXT_FIELDS.find((f) => typeof value[f] === "string" && (value[f] as string) !== "");
	const note = noteOf(value, error);
	const text = field ? (value[field] as string) : json;
	// `{"error": "…"}` alone: its JSON says nothing more than its text.
	const more = !field || Object.keys(value).length > 1;
	return { text, ...(more ? { json } : {}), error, ...(note ? { note } : {}) };
}

/** A few words for the step's line: the error, or an HTTP status that isn't a success. */
function noteOf(value: Record<string, unknown>, error: boolean): string | undefined {
	if (error) return oneLine(value.error as string, 120);
	const status = value.status;
	if (typeof status === "number" && (status < 200 || status >= 300)) {
		const host = typeof value.url === "string" ? hostOf(value.url) : "";
		return `HTTP ${status}${host ? ` from ${host}` : ""}`;
	}
	return undefined;
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return "";
	}
}
