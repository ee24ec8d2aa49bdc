/** Naming and scrubbing for MCP tools (pure: no I/O). */

export const MCP_TOOL_SEPARATOR = "__";

/** What the model calls a server's tool; characters providers refuse become `_`. */
export function agentToolName(server: string, toolName: string): string {
	return `${server}${MCP_TOOL_SEPARATOR}${toolName.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
}

/** Every part of a header value that is secret on its own, longest first (pure). */
export function secretParts(value: string): string[] {
	const parts = new Set<string>([value, value.trim()]);
	// `<scheme> <credentials>` (Authorization, Proxy-Authorization, …): the credentials alone are secret.
	const scheme = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s+(\S(?:.*\S)?)\s*$/s.exec(value);
	if (scheme?.[1] && scheme[2]) {
		const credentials = scheme[2];
		parts.add(credentials);
		if (scheme[1].toLowerCase() === "basic") {
			parts.add(credentials.replace(/=+$/, ""));
			const decoded = decodeBase64(credentials);
			if (decoded !== undefined) {
				// `user:password`, and the password alone.
				parts.add(decoded);
				const colon = decoded.indexOf(":");
				if (colon >= 0) parts.add(decoded.slice(colon + 1));
			}
		}
	}
	return [...parts].filter((part) => part.length >= MIN_SECRET_CHARS).sort((a, b) => b.length - a.length);
}

/** Parts shorter than this are not looked for (they would match ordinary text). */
const MIN_SECRET_CHARS = 4;

function decodeBase64(text: string): string | undefined {
	try {
		const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
		const decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
			Uint8Array.from(binary, (c) => c.charCodeAt(0)),
		);
		return /^[^\p{Cc}]+$/u.test(decoded) ? decoded : undefined;
	} catch {
		return undefined;
	}
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Removes every secret part of every header value (API keys) from text that came back from a
 * server: the whole value, the credentials after an auth scheme (`Bearer <token>`), and for
 * `Basic` the base64 blob, the decoded `user:password` and the password; each as is and
 * JSON-escaped, in any letter case.
 */
export function scrub(text: string, headers: Record<string, string>): string {
	return scrubber(headers)(text);
}

/** `scrub` with its pattern built once, for many texts. */
export function scrubber(headers: Record<string, string>): (text: string) => string {
	const forms = new Set<string>();
	for (const value of Object.values(headers)) {
		for (const part of secretParts(value)) {
			forms.add(part);
			forms.add(JSON.stringify(part).slice(1, -1));
		}
	}
	if (forms.size === 0) return (text) => text;
	const pattern = new RegExp(
		[...forms]
			.sort((a, b) => b.length - a.length)
			.map(escapeRegExp)
			.join("|"),
		"gi",
	);
	return (text) => text.replace(pattern, "[redacted]");
}

/** `scrub` on every string (keys included) of a JSON value: a listed tool's description and schema, structured results. */
export function scrubJson<T>(value: T, headers: Record<string, string>): T {
	const clean = scrubber(headers);
	const walk = (v: unknown): unknown => {
		if (typeof v === "string") return clean(v);
		if (Array.isArray(v)) return v.map(walk);
		if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), walk(x)]));
		return v;
	};
	return walk(value) as T;
}
