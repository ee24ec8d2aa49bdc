/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lower-case hex, neither id all
 * zeros. Only version 00 is read; anything else is not a traceparent here (undefined, never a
 * throw), so a caller's bad header starts a new trace instead of failing a request.
 */

export interface TraceContext {
	/** 32 lower-case hex digits, not all zero. */
	traceId: string;
	/** The caller's span (16 lower-case hex digits, not all zero): the parent of ours. */
	parentId: string;
	/** Trace flags (a byte); bit 0 is "sampled". */
	flags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/** The `sampled` trace flag. */
export const SAMPLED = 0x01;

/** A `traceparent` header value → its parts; anything malformed → undefined (never throws). */
export function parseTraceparent(header: unknown): TraceContext | undefined {
	if (typeof header !== "string" || header.length > 128) return undefined;
	const match = TRACEPARENT.exec(header.trim());
	if (!match) return undefined;
	const [, traceId, parentId, flags] = match as unknown as [string, string, string, string];
	if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
	return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** The parts → a version-00 `traceparent` value. */
export function formatTraceparent(context: TraceContext): string {
	return `00-${context.traceId}-${context.parentId}-${(context.flags & 0xff).toString(16).padStart(2, "0")}`;
}

/** Whether the caller recorded its span (and so wants ours). */
export const isSampled = (context: TraceContext): boolean => (context.flags & SAMPLED) === SAMPLED;

/** A new random trace id: 16 random bytes as hex, never all zero. */
export const newTraceId = (): string => randomHex(16);

/** A new random span id: 8 random bytes as hex, never all zero. */
export const newSpanId = (): string => randomHex(8);

/** A new sampled `traceparent` for work that arrives without one (a new trace). */
export const newTraceparent = (): string =>
	formatTraceparent({ traceId: newTraceId(), parentId: newSpanId(), flags: SAMPLED });

function randomHex(bytes: number): string {
	const buffer = new Uint8Array(bytes);
	for (;;) {
		crypto.getRandomValues(buffer);
		if (buffer.some((b) => b !== 0)) return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
	}
}

/** A request's `traceparent` header, kept as sent when valid (normalized), else undefined: never an error. */
export function traceparentOf(header: string | undefined): string | undefined {
	const context = parseTraceparent(header);
	return context ? formatTraceparent(context) : undefined;
}
