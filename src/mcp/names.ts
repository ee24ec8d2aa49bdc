/** Naming and scrubbing for MCP tools (pure: no I/O). */

export const MCP_TOOL_SEPARATOR = "__";

/** What the model calls a server's tool; characters providers refuse become `_`. */
export function agentToolName(server: string, toolName: string): string {
	return `${server}${MCP_TOOL_SEPARATOR}${toolName.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
}

/**
 * Every part of a header value that is secret on its own, longest first (pure): the value;
 * the credentials after an auth scheme (`Bearer <token>`); for `Basic` the blob (padded or
 * not), the decoded `user:password` and the password; the pieces of a list of parameters split
 * at `;` and `,` (`Cookie: session=…; theme=…`, `Token token="…"`, Digest's `response="…"`,
 * AWS4's `Credential=…, Signature=…`) and each `name=value`'s value without its quotes; and
 * every part URL-encoded too (`/ + =` echoed as `%2F %2B %3D`).
 */
export function secretParts(value: string): string[] {
	const parts = new Set<string>();
	const add = (part: string, min: number) => {
		if (part.length >= min) parts.add(part);
	};
	add(value, MIN_SECRET_CHARS);
	add(value.trim(), MIN_SECRET_CHARS);
	// `<scheme> <credentials>` (Authorization, Proxy-Authorization, …): the credentials alone are secret.
	const scheme = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s+(\S(?:.*\S)?)\s*$/s.exec(value);
	const credentials = scheme?.[1] && scheme[2] ? scheme[2] : undefined;
	if (scheme?.[1] && credentials) {
		add(credentials, MIN_SECRET_CHARS);
		if (scheme[1].toLowerCase() === "basic") {
			add(credentials.replace(/=+$/, ""), MIN_SECRET_CHARS);
			const decoded = decodeBase64(credentials);
			if (decoded !== undefined) {
				// `user:password`, and the password alone.
				add(decoded, MIN_SECRET_CHARS);
				const colon = decoded.indexOf(":");
				if (colon >= 0) add(decoded.slice(colon + 1), MIN_SECRET_CHARS);
			}
		}
	}
	// Parameter lists: `a=1; b=2` (Cookie), `k="v", k2=v2` (Token, Digest, AWS4 after the scheme).
	for (const list of credentials === undefined ? [value] : [value, credentials]) {
		const pieces = list.split(/[;,]/).map((piece) => piece.trim());
		const named = pieces.filter((piece) => piece.indexOf("=") > 0);
		// `name=value`: the value. A bare piece is a secret only in a list of bare pieces (`key1, key2`);
		// beside named ones it is a flag or a sub-list (`HttpOnly`, AWS4's `SignedHeaders=host;x-amz-date`).
		for (const piece of named) add(unquote(piece.slice(piece.indexOf("=") + 1).trim()), MIN_PIECE_CHARS);
		if (named.length === 0) for (const piece of pieces) add(piece, MIN_PIECE_CHARS);
	}
	// A server that echoes a secret inside a URL (or a form) sends it percent-encoded; a value
	// sent percent-encoded (a cookie's) may come back decoded.
	for (const part of [...parts]) {
		for (const code of [encodeURIComponent, decodeURIComponent]) {
			try {
				add(code(part), MIN_SECRET_CHARS);
			} catch {
				// A lone surrogate can't be encoded, nor a stray `%` decoded.
			}
		}
	}
	return [...parts].sort((a, b) => b.length - a.length);
}

/** Parts shorter than this are not looked for (they would match ordinary text). */
const MIN_SECRET_CHARS = 4;

/**
 * The pieces of a parameter list and their values are looked for from 8 characters on. Such a
 * header mixes secrets with plain settings (`theme=dark`, `lang=en-US`, `Path=/`, Digest's
 * `qop=auth`, `algorithm=MD5`, AWS4's `SignedHeaders=host;…`): redacting those everywhere
 * would garble ordinary text (every `dark`, every `auth`) and show which words were removed.
 * Real session ids, tokens, nonces and signatures are 16+ characters; 8 keeps the short
 * settings out while catching anything long enough to be worth guessing, and the whole header
 * value is still redacted from 4 characters on.
 */
const MIN_PIECE_CHARS = 8;

/** A parameter's value without the quotes around it (`"abc"` → `abc`). */
function unquote(text: string): string {
	const quoted = /^"(.*)"$/s.exec(text) ?? /^'(.*)'$/s.exec(text);
	return quoted?.[1] ?? text;
}

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
 * server: every part `secretParts` finds (the whole value, the credentials after an auth
 * scheme, Basic's pieces, each parameter's value, their URL-encodings); each as is and
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
