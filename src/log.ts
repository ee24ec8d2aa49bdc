/**
 * Structured logs: one JSON object per line, so `wrangler tail` and Workers Logs can
 * filter on fields. Never pass a credential in `fields`; `redact` strips the known shapes
 * anyway as a second line of defence.
 */
type Level = "debug" | "info" | "warn" | "error";

const SECRET_PATTERNS = [
	/spk_[A-Za-z0-9_-]{8,}/g,
	/tkt_[A-Za-z0-9_-]{8,}/g,
	/sk-[A-Za-z0-9_-]{8,}/g,
	// A webhook signing secret (webhooks/secret.ts).
	/whsec_[A-Za-z0-9_-]{8,}/g,
];

function redact(text: string): string {
	let out = text;
	for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, "[redacted]");
	return out;
}

function emit(level: Level, message: string, fields: Record<string, unknown>): void {
	const line = redact(JSON.stringify({ level, message, ...fields }, errorReplacer));
	if (level === "error") console.error(line);
	else if (level === "warn") console.warn(line);
	else console.log(line);
}

function errorReplacer(_key: string, value: unknown): unknown {
	if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
	return value;
}

export const log = {
	debug: (message: string, fields: Record<string, unknown> = {}) => emit("debug", message, fields),
	info: (message: string, fields: Record<string, unknown> = {}) => emit("info", message, fields),
	warn: (message: string, fields: Record<string, unknown> = {}) => emit("warn", message, fields),
	error: (message: string, fields: Record<string, unknown> = {}) => emit("error", message, fields),
};
