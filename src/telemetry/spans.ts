/**
 * A small span model and its OTLP/JSON encoding: an `ExportTraceServiceRequest`
 * (opentelemetry-proto, collector/trace/v1) as OTLP/HTTP's JSON Protobuf Encoding writes it
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): keys in lowerCamelCase,
 * `traceId`/`spanId`/`parentSpanId` as hex (not base64), enums as integers (never their
 * names), 64-bit integers (`startTimeUnixNano`, `intValue`) as decimal strings.
 */

/** An attribute's value, typed as OTLP's `AnyValue` is (a number is an int or a double, said once). */
export type AttributeValue =
	| { string: string }
	| { int: number }
	| { double: number }
	| { bool: boolean }
	| { strings: string[] };

export type Attributes = Record<string, AttributeValue>;

/** `Span.SpanKind` (trace.proto). */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** `Status.StatusCode` (trace.proto): leave UNSET unless the operation failed. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface SpanData {
	traceId: string;
	spanId: string;
	/** Absent for a root span. */
	parentSpanId?: string;
	name: string;
	kind: SpanKind;
	/** Milliseconds since the epoch (Date.now()). */
	startMs: number;
	endMs: number;
	attributes: Attributes;
	status: { code: StatusCode; message?: string };
}

export interface Scope {
	name: string;
	version?: string;
}

// Attribute helpers: a value that can't be encoded (NaN, ±Infinity) is left out, not sent wrong.
export const str = (value: string): AttributeValue => ({ string: value });
export const int = (value: number): AttributeValue => ({ int: value });
export const double = (value: number): AttributeValue => ({ double: value });
export const bool = (value: boolean): AttributeValue => ({ bool: value });
export const strings = (value: string[]): AttributeValue => ({ strings: value });

// ---- OTLP/JSON -----------------------------------------------------------------------------

export interface OtlpAnyValue {
	stringValue?: string;
	intValue?: string;
	doubleValue?: number;
	boolValue?: boolean;
	arrayValue?: { values: OtlpAnyValue[] };
}
export interface OtlpKeyValue {
	key: string;
	value: OtlpAnyValue;
}
export interface OtlpSpan {
	traceId: string;
	spanId: string;
	parentSpanId?: string;
	name: string;
	kind: number;
	startTimeUnixNano: string;
	endTimeUnixNano: string;
	attributes: OtlpKeyValue[];
	status: { code: number; message?: string };
}
/** `ExportTraceServiceRequest` in OTLP/JSON. */
export interface OtlpTraceRequest {
	resourceSpans: {
		resource: { attributes: OtlpKeyValue[] };
		scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
	}[];
}

/** Spans of one resource and one instrumentation scope → the request body's object. */
export function encodeTraceRequest(spans: readonly SpanData[], resource: Attributes, scope: Scope): OtlpTraceRequest {
	return {
		resourceSpans: [
			{
				resource: { attributes: encodeAttributes(resource) },
				scopeSpans: [
					{
						scope: scope.version === undefined ? { name: scope.name } : { name: scope.name, version: scope.version },
						spans: spans.map(encodeSpan),
					},
				],
			},
		],
	};
}

export function encodeSpan(span: SpanData): OtlpSpan {
	const start = unixNano(span.startMs);
	// An end before the start (a clock step, a caller's slip) would be a negative duration.
	const end = span.endMs >= span.startMs ? unixNano(span.endMs) : start;
	return {
		traceId: span.traceId,
		spanId: span.spanId,
		...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
		name: span.name,
		kind: span.kind,
		startTimeUnixNano: start,
		endTimeUnixNano: end,
		attributes: encodeAttributes(span.attributes),
		status:
			span.status.code === StatusCode.ERROR && span.status.message
				? { code: span.status.code, message: span.status.message }
				: { code: span.status.code },
	};
}

export function encodeAttributes(attributes: Attributes): OtlpKeyValue[] {
	const out: OtlpKeyValue[] = [];
	for (const [key, value] of Object.entries(attributes)) {
		const encoded = encodeValue(value);
		if (encoded) out.push({ key, value: encoded });
	}
	return out;
}

function encodeValue(value: AttributeValue): OtlpAnyValue | undefined {
	if ("string" in value) return { stringValue: value.string };
	if ("bool" in value) return { boolValue: value.bool };
	if ("int" in value)
		return Number.isFinite(value.int) ? { intValue: BigInt(Math.trunc(value.int)).toString() } : undefined;
	if ("double" in value) return Number.isFinite(value.double) ? { doubleValue: value.double } : undefined;
	return { arrayValue: { values: value.strings.map((s) => ({ stringValue: s })) } };
}

/** Milliseconds since the epoch → nanoseconds as a decimal string (a fixed64 in OTLP/JSON). */
export function unixNano(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) return "0";
	// Microsecond precision survives; BigInt keeps the 19 digits exact.
	return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}
