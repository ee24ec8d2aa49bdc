import { z } from "zod";
import { log } from "../log.ts";

/**
 * Trace export settings (docs/usage.md, "Tracing"): `SPARKY_OTEL_ENDPOINT`, an OTLP/HTTP base
 * URL (spans go to `<it>/v1/traces`), and `SPARKY_OTEL_HEADERS`, headers for it as
 * `name=value,name=value` (OTEL_EXPORTER_OTLP_HEADERS' format: values may be percent-encoded).
 * Unset or empty: no export. Invalid: no export, and one warning per isolate (never the value:
 * a URL may carry a credential).
 */
export interface OtelConfig {
	/** The validated base URL without a trailing slash, or undefined: export is off. */
	endpoint: string | undefined;
	/** SPARKY_OTEL_HEADERS as given (parsed by `parseOtelHeaders`). */
	headers: string | undefined;
}

const EndpointSchema = z.url({ protocol: /^https?$/ });

export function otelConfig(env: { SPARKY_OTEL_ENDPOINT?: string; SPARKY_OTEL_HEADERS?: string }): OtelConfig {
	return { endpoint: parseOtelEndpoint(env.SPARKY_OTEL_ENDPOINT), headers: env.SPARKY_OTEL_HEADERS || undefined };
}

/** An OTLP/HTTP base URL (http or https) → itself without trailing slashes; empty → undefined. */
export function parseOtelEndpoint(value: string | undefined): string | undefined {
	const trimmed = value?.trim();
	if (!trimmed) return undefined;
	const parsed = EndpointSchema.safeParse(trimmed);
	if (!parsed.success) {
		warnOnce("endpoint", "SPARKY_OTEL_ENDPOINT is not an http(s) URL: traces are not exported");
		return undefined;
	}
	const url = new URL(parsed.data);
	url.pathname = url.pathname.replace(/\/+$/, "");
	return url.href.replace(/\/+$/, "");
}

/** The traces URL of a base endpoint: `<base>/v1/traces` (the OTLP/HTTP default path). */
export function tracesUrl(endpoint: string): string {
	const url = new URL(endpoint);
	url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
	return url.href;
}

// An HTTP header name (RFC 9110 token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the exporter sets itself.
const RESERVED = new Set(["content-type", "content-length", "host"]);

/**
 * `name=value,name=value` → headers. A malformed pair (no `=`, a bad name, a control
 * character) is skipped with one warning that names neither the pair nor its value.
 */
export function parseOtelHeaders(value: string | undefined): Record<string, string> {
	const headers: Record<string, string> = {};
	if (!value?.trim()) return headers;
	let skipped = 0;
	for (const pair of value.split(",")) {
		if (!pair.trim()) continue;
		const eq = pair.indexOf("=");
		const name = eq > 0 ? pair.slice(0, eq).trim() : "";
		const raw = eq > 0 ? pair.slice(eq + 1).trim() : "";
		const decoded = percentDecode(raw);
		if (!HEADER_NAME.test(name) || RESERVED.has(name.toLowerCase()) || !decoded || /[\r\n\0]/.test(decoded)) {
			skipped++;
			continue;
		}
		headers[name.toLowerCase()] = decoded;
	}
	if (skipped > 0)
		warnOnce("headers", "SPARKY_OTEL_HEADERS has entries that are not name=value: they are left out", { skipped });
	return headers;
}

function percentDecode(value: string): string {
	try {
		return decodeURIComponent(value);
	} catch {
		return value;
	}
}

const warned = new Set<string>();
function warnOnce(what: string, message: string, fields: Record<string, unknown> = {}): void {
	if (warned.has(what)) return;
	warned.add(what);
	log.warn(message, fields);
}
