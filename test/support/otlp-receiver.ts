import {
	closeServer,
	header,
	type IncomingMessage,
	json,
	listen,
	nodeHttp,
	portOf,
	readBody,
	type ServerResponse,
} from "./node-http.ts";

// An OTLP/HTTP trace receiver for tests (docs/usage.md, "Tracing"): a Node HTTP server that
// reads each export with the OpenTelemetry protocol's own schema, not with this file's idea of
// it. The schema is opentelemetry-proto's `ExportTraceServiceRequest` as protobufjs code
// generated from the official .proto files, shipped in @opentelemetry/otlp-transformer@0.216.0
// (build/src/generated/root.js; later versions no longer ship it). Started by
// test/support/global-setup.ts (in Node, not workerd); tests reach it with
// `inject("otlpReceiverUrl")`.
//
// An export is read as an OTLP collector reads OTLP/JSON (the spec's "JSON Protobuf Encoding"):
// `traceId`/`spanId`/`parentSpanId` as hex → bytes (OTLP's one deviation from the proto3 JSON
// mapping), then the generated `fromObject` (the proto3 JSON rules: lowerCamelCase keys, 64-bit
// integers as decimal strings, enums), then encoded to protobuf's binary form and decoded back
// (what a collector would forward), then `verify`. Stricter than a collector on purpose, so a
// sender's mistake fails a test instead of vanishing: a field the schema doesn't have (a
// collector ignores it), an enum sent by name or a 64-bit integer sent as a number (the spec
// says senders MUST NOT / do not), or a value the schema reads differently, is a 400 naming the
// field. Content-Type must be application/json.
//
// Routes (each under an optional `/t/<tag>` prefix, which tags the recorded export):
//   POST [/t/<tag>]/v1/traces               read, record, 200 `{}`
//   POST [/t/<tag>]/status/<code>/v1/traces  read, record, answer <code> (an unhealthy collector)
//   POST [/t/<tag>]/hang/v1/traces           never answers (until the client gives up)
//   GET  /__received[?tag=<tag>]             every recorded export, oldest first

/** The part of protobufjs' generated message class used here. */
interface GeneratedMessage {
	fromObject(object: Record<string, unknown>): unknown;
	encode(message: unknown): { finish(): Uint8Array };
	decode(bytes: Uint8Array): unknown;
	verify(message: unknown): string | null;
	toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}
interface GeneratedRoot {
	opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: GeneratedMessage } } } } };
}

declare module "vitest" {
	export interface ProvidedContext {
		/** Base URL of the OTLP receiver, e.g. http://127.0.0.1:41235 (no trailing slash). */
		otlpReceiverUrl: string;
		/** An http://127.0.0.1:<port> where nothing listens (a collector that is down). */
		otlpClosedUrl: string;
	}
}

/** An attribute value as the schema decoded it: exactly one of these. */
export interface ReceivedValue {
	stringValue?: string;
	/** int64: a decimal string. */
	intValue?: string;
	doubleValue?: number;
	boolValue?: boolean;
	arrayValue?: { values: ReceivedValue[] };
}

export interface ReceivedSpan {
	traceId: string;
	spanId: string;
	/** "" for a root span. */
	parentSpanId: string;
	name: string;
	kind: number;
	startTimeUnixNano: string;
	endTimeUnixNano: string;
	attributes: Record<string, ReceivedValue>;
	status: { code: number; message: string };
}

export interface ReceivedExport {
	seq: number;
	tag: string | null;
	path: string;
	contentType: string;
	/** Lower-cased names. */
	headers: Record<string, string>;
	/** What the receiver answered. */
	status: number;
	/** Why the export was refused (400, 415), if it was. */
	error?: string;
	resource: Record<string, ReceivedValue>;
	scopes: { name: string; version: string }[];
	spans: ReceivedSpan[];
}

export interface OtlpReceiver {
	url: string;
	closedUrl: string;
	received: ReceivedExport[];
	close(): Promise<void>;
}

const SCHEMA_MODULE = "@opentelemetry/otlp-transformer/build/src/generated/root.js";

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
	const { createServer } = await nodeHttp();
	const loaded = (await import(SCHEMA_MODULE as string)) as { default?: GeneratedRoot } & GeneratedRoot;
	const Request = (loaded.default ?? loaded).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
	const received: ReceivedExport[] = [];
	let seq = 0;

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => json(res, 500, { code: 13, message: `receiver failed: ${error}` }));
	});

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? "/", "http://receiver");
		if (url.pathname === "/__received" && req.method === "GET") {
			const tag = url.searchParams.get("tag");
			return json(res, 200, { received: tag === null ? received : received.filter((r) => r.tag === tag) });
		}
		const tagged = /^\/t\/([^/]+)(\/.*)$/.exec(url.pathname);
		const tag = tagged ? decodeURIComponent(tagged[1] as string) : null;
		const path = tagged ? (tagged[2] as string) : url.pathname;
		const route = /^(?:\/status\/(\d{3})|\/(hang))?\/v1\/traces$/.exec(path);
		if (!route || req.method !== "POST") return json(res, 404, { code: 5, message: `no route ${req.method} ${path}` });
		const answer = route[1] ? Number(route[1]) : 200;
		const body = await readBody(req);
		if (route[2]) return; // never answers: the exporter's timeout has to end it

		const contentType = header(req, "content-type");
		const record: ReceivedExport = {
			seq: ++seq,
			tag,
			path,
			contentType,
			headers: Object.fromEntries(Object.keys(req.headers).map((name) => [name, header(req, name)])),
			status: answer,
			resource: {},
			scopes: [],
			spans: [],
		};
		received.push(record);
		const refuse = (status: number, message: string) => {
			record.status = status;
			record.error = message;
			json(res, status, { code: 3, message });
		};
		if (contentType.split(";")[0]?.trim().toLowerCase() !== "application/json")
			return refuse(415, `Content-Type must be application/json, got "${contentType}"`);
		let sent: unknown;
		try {
			sent = JSON.parse(body);
		} catch {
			return refuse(400, "the body is not JSON");
		}
		let decoded: Record<string, unknown>;
		try {
			decoded = read(Request, sent);
		} catch (error) {
			return refuse(400, error instanceof Error ? error.message : String(error));
		}
		Object.assign(record, summarise(decoded));
		return json(res, answer, answer === 200 ? {} : { code: 14, message: `status ${answer} (asked for by the path)` });
	}

	await listen(server);
	const port = portOf(server);
	// A port that was free a moment ago and is closed now: a collector that is down.
	const probe = await listen(createServer(() => {}));
	const closedPort = portOf(probe);
	await new Promise<void>((resolve) => probe.close(() => resolve()));

	return {
		url: `http://127.0.0.1:${port}`,
		closedUrl: `http://127.0.0.1:${closedPort}`,
		received,
		close: () => closeServer(server),
	};
}

// ---- reading an export with the schema ------------------------------------------------------

const ID_FIELDS: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

/** OTLP/JSON → the schema's message (through protobuf's binary form) → a plain object; throws why not. */
function read(Request: GeneratedMessage, sent: unknown): Record<string, unknown> {
	if (!isObject(sent)) throw new Error("the body is not a JSON object");
	const message = Request.fromObject(idsToBytes(sent, "") as Record<string, unknown>);
	const decoded = Request.decode(Request.encode(message).finish());
	const invalid = Request.verify(decoded);
	if (invalid) throw new Error(`the schema refuses it: ${invalid}`);
	const back = idsToHex(
		Request.toObject(decoded, { longs: String, enums: Number, bytes: Array, arrays: true, defaults: false }),
	) as Record<string, unknown>;
	const mismatch = sameAsSchemaReadsIt(lowerCaseIds(sent), back, "");
	if (mismatch) throw new Error(mismatch);
	return back;
}

/** The hex ids (any case, as the spec allows) → bytes, so the schema's bytes fields take them. */
function idsToBytes(value: unknown, path: string): unknown {
	if (Array.isArray(value)) return value.map((v, i) => idsToBytes(v, `${path}[${i}]`));
	if (!isObject(value)) return value;
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value)) {
		const size = ID_FIELDS[key];
		if (size === undefined || path.endsWith(".attributes") || isObject(v)) {
			out[key] = idsToBytes(v, `${path}.${key}`);
			continue;
		}
		if (typeof v !== "string") throw new Error(`${path}.${key}: a hex string expected, got ${JSON.stringify(v)}`);
		const empty = key === "parentSpanId" && v === "";
		if (!empty && !new RegExp(`^[0-9a-fA-F]{${size * 2}}$`).test(v))
			throw new Error(
				`${path}.${key}: ${size * 2} hex digits expected (OTLP/JSON ids are hex, not base64), got "${v}"`,
			);
		out[key] = Uint8Array.from((v.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)));
	}
	return out;
}

function idsToHex(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(idsToHex);
	if (!isObject(value)) return value;
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value))
		out[key] =
			key in ID_FIELDS && Array.isArray(v)
				? (v as number[]).map((b) => b.toString(16).padStart(2, "0")).join("")
				: idsToHex(v);
	return out;
}

function lowerCaseIds(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(lowerCaseIds);
	if (!isObject(value)) return value;
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value))
		out[key] = key in ID_FIELDS && typeof v === "string" ? v.toLowerCase() : lowerCaseIds(v);
	return out;
}

/** Every field that was sent reads back the same: undefined, or the first difference. */
function sameAsSchemaReadsIt(sent: unknown, back: unknown, path: string): string | undefined {
	if (Array.isArray(sent)) {
		if (!Array.isArray(back) || back.length !== sent.length)
			return `${path || "body"}: sent ${sent.length} entries, the schema reads ${JSON.stringify(back)}`;
		for (const [i, item] of sent.entries()) {
			const found = sameAsSchemaReadsIt(item, back[i], `${path}[${i}]`);
			if (found) return found;
		}
		return undefined;
	}
	if (isObject(sent)) {
		if (!isObject(back)) return `${path || "body"}: sent an object, the schema reads ${JSON.stringify(back)}`;
		for (const [key, value] of Object.entries(sent)) {
			if (!(key in back)) return `${path}.${key}: not a field of the schema here (sent ${JSON.stringify(value)})`;
			const found = sameAsSchemaReadsIt(value, back[key], `${path}.${key}`);
			if (found) return found;
		}
		return undefined;
	}
	return sent === back
		? undefined
		: `${path}: sent ${JSON.stringify(sent)}, the schema reads ${JSON.stringify(back)} (enums are numbers, 64-bit integers decimal strings)`;
}

/** The decoded request → what tests look at: resource and span attributes by key. */
function summarise(request: Record<string, unknown>): Pick<ReceivedExport, "resource" | "scopes" | "spans"> {
	const out: Pick<ReceivedExport, "resource" | "scopes" | "spans"> = { resource: {}, scopes: [], spans: [] };
	for (const resourceSpans of list(request.resourceSpans)) {
		const resource = isObject(resourceSpans.resource) ? resourceSpans.resource : {};
		Object.assign(out.resource, attributes(resource.attributes));
		for (const scopeSpans of list(resourceSpans.scopeSpans)) {
			const scope = isObject(scopeSpans.scope) ? scopeSpans.scope : {};
			out.scopes.push({ name: String(scope.name ?? ""), version: String(scope.version ?? "") });
			for (const span of list(scopeSpans.spans)) {
				const status = isObject(span.status) ? span.status : {};
				out.spans.push({
					traceId: String(span.traceId ?? ""),
					spanId: String(span.spanId ?? ""),
					parentSpanId: String(span.parentSpanId ?? ""),
					name: String(span.name ?? ""),
					kind: Number(span.kind ?? 0),
					startTimeUnixNano: String(span.startTimeUnixNano ?? "0"),
					endTimeUnixNano: String(span.endTimeUnixNano ?? "0"),
					attributes: attributes(span.attributes),
					status: { code: Number(status.code ?? 0), message: String(status.message ?? "") },
				});
			}
		}
	}
	return out;
}

function attributes(value: unknown): Record<string, ReceivedValue> {
	return Object.fromEntries(list(value).map((kv) => [String(kv.key), (kv.value ?? {}) as ReceivedValue]));
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isObject) : []);

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// ---- HTTP ------------------------------------------------------------------------------------
