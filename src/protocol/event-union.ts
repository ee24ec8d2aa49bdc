import {
	CustomEventSchema,
	ReasoningEndEventSchema,
	ReasoningMessageContentEventSchema,
	ReasoningMessageEndEventSchema,
	ReasoningMessageStartEventSchema,
	ReasoningStartEventSchema,
	RunErrorEventSchema,
	RunFinishedEventSchema,
	RunStartedEventSchema,
	TextMessageContentEventSchema,
	TextMessageEndEventSchema,
	TextMessageStartEventSchema,
	ToolCallArgsEventSchema,
	ToolCallEndEventSchema,
	ToolCallResultEventSchema,
	ToolCallStartEventSchema,
} from "@ag-ui/core/schemas";
import { z } from "zod";
import { ApprovalEventValueSchema } from "./approvals.ts";
import { ChatChangeValueSchema } from "./chats.ts";
import { CustomName, EventType } from "./events.ts";
import { ContextCompactedValueSchema, MemoriesRecalledValueSchema } from "./memories.ts";
import { TaskStatusValueSchema } from "./tasks.ts";
import { ModelCallUsageSchema } from "./usage.ts";

/**
 * The events Sparky sends, as one discriminated union: AG-UI's own schemas (`@ag-ui/core`) for
 * the standard types, one schema per `CustomName` for Sparky's `CUSTOM` events. Producers build
 * them through these types (a wrong field is a compile error); clients parse what arrives with
 * `parseHubEvent` and get a typed value, or an `unknown` variant for a type or custom name this
 * version doesn't know (forward compatibility: a newer server never crashes an older client).
 * The hub doesn't interpret events: it stores the loose `PublishEvent` / `HubEvent` shapes.
 */

// ---- values of Sparky's CUSTOM events ---------------------------------------------------------

/** `sparky.notice`: an admin's notice; free-form JSON. */
export const NoticeValueSchema = z.unknown();
/** `sparky.attempt.started` (AG-UI runs only): one attempt of the turn started. */
export const AttemptStartedValueSchema = z.object({
	task_id: z.string().optional(),
	attempt: z.number().int().optional(),
	runId: z.string().optional(),
	model: z.string().optional(),
});
/** `sparky.attempt.error` (AG-UI runs only): an attempt ended and another follows. */
export const AttemptErrorValueSchema = z.object({
	task_id: z.string().optional(),
	attempt: z.number().int().optional(),
	code: z.string(),
	message: z.string().optional(),
});
const McpServerNoteSchema = z.object({ server: z.string(), reason: z.string() });
/** `sparky.mcp.servers`: some of the owner's MCP servers are missing from the run or cut short. */
export const McpServersValueSchema = z.object({
	unavailable: z.array(McpServerNoteSchema),
	partial: z.array(McpServerNoteSchema),
	/** Servers whose OAuth sign-in needs the user again (optional: older events lack it). */
	needs_sign_in: z.array(McpServerNoteSchema).optional(),
});

/** `sparky.tool.ended` (summary hubs only): the call whose result arrived. */
export const ToolEndedValueSchema = z.object({ toolCallId: z.string() });

/** Each custom name's `value` schema: the one place a custom event's shape is written. */
export const CustomValueSchemas = {
	[CustomName.notice]: NoticeValueSchema,
	[CustomName.taskStatus]: TaskStatusValueSchema,
	[CustomName.chat]: ChatChangeValueSchema,
	[CustomName.approvalRequested]: ApprovalEventValueSchema,
	[CustomName.approvalDecided]: ApprovalEventValueSchema,
	[CustomName.attempt]: AttemptStartedValueSchema,
	[CustomName.attemptError]: AttemptErrorValueSchema,
	[CustomName.mcpServers]: McpServersValueSchema,
	[CustomName.memoriesRecalled]: MemoriesRecalledValueSchema,
	[CustomName.contextCompacted]: ContextCompactedValueSchema,
	[CustomName.toolEnded]: ToolEndedValueSchema,
	[CustomName.usage]: ModelCallUsageSchema,
} as const satisfies Record<CustomNameValue, z.ZodType>;

export type CustomNameValue = (typeof CustomName)[keyof typeof CustomName];
/** The `value` a custom event of `name` carries (what a producer must build). */
export type CustomValue<N extends CustomNameValue> = z.input<(typeof CustomValueSchemas)[N]>;

// ---- the union ---------------------------------------------------------------------------------

/** Fields Sparky adds to standard AG-UI events (beside the envelope). */
const RunStartedSchema = RunStartedEventSchema.extend({
	/** The model that runs this attempt (`provider:model`). */
	model: z.string().optional(),
});

const customEvent = <N extends CustomNameValue>(name: N) =>
	CustomEventSchema.extend({
		name: z.literal(name),
		value: CustomValueSchemas[name] as (typeof CustomValueSchemas)[N],
	});

function unionWith<S extends z.ZodRawShape>(envelope: S) {
	return z.discriminatedUnion("type", [
		RunStartedSchema.extend(envelope),
		RunFinishedEventSchema.extend(envelope),
		RunErrorEventSchema.extend(envelope),
		TextMessageStartEventSchema.extend(envelope),
		TextMessageContentEventSchema.extend(envelope),
		TextMessageEndEventSchema.extend(envelope),
		ReasoningStartEventSchema.extend(envelope),
		ReasoningEndEventSchema.extend(envelope),
		ReasoningMessageStartEventSchema.extend(envelope),
		ReasoningMessageContentEventSchema.extend(envelope),
		ReasoningMessageEndEventSchema.extend(envelope),
		ToolCallStartEventSchema.extend(envelope),
		ToolCallArgsEventSchema.extend(envelope),
		ToolCallEndEventSchema.extend(envelope),
		ToolCallResultEventSchema.extend(envelope),
		z.discriminatedUnion("name", [
			customEvent(CustomName.notice).extend(envelope),
			customEvent(CustomName.taskStatus).extend(envelope),
			customEvent(CustomName.chat).extend(envelope),
			customEvent(CustomName.approvalRequested).extend(envelope),
			customEvent(CustomName.approvalDecided).extend(envelope),
			customEvent(CustomName.attempt).extend(envelope),
			customEvent(CustomName.attemptError).extend(envelope),
			customEvent(CustomName.mcpServers).extend(envelope),
			customEvent(CustomName.memoriesRecalled).extend(envelope),
			customEvent(CustomName.contextCompacted).extend(envelope),
			customEvent(CustomName.toolEnded).extend(envelope),
			customEvent(CustomName.usage).extend(envelope),
		]),
	]);
}

/** Sparky's envelope on a stored event (what `HubEvent` adds to AG-UI's fields). */
export const HubEnvelopeShape = {
	/** Per user, starts at 1, increases by exactly 1. */
	seq: z.number().int().positive(),
	id: z.string().min(1),
	/** Milliseconds since the epoch. */
	ts: z.number().int().nonnegative(),
	task_id: z.string().min(1).max(128).optional(),
	chat_id: z.string().min(1).max(128).optional(),
	/** Which run of a task (1-based) produced it. */
	attempt: z.number().int().positive().optional(),
};
const HubEnvelopeSchema = z.object(HubEnvelopeShape).loose();
export type HubEnvelope = z.infer<z.ZodObject<typeof HubEnvelopeShape>>;

/** An event Sparky sends, without the envelope (what an AG-UI client sees). */
export const SparkyEventSchema = unionWith({});
export type SparkyEvent = z.output<typeof SparkyEventSchema>;

/** An event Sparky sends, with its envelope, as the hub stores it and clients receive it. Strict on every known field. */
export const TypedHubEventSchema = unionWith(HubEnvelopeShape);
export type KnownHubEvent = z.output<typeof TypedHubEventSchema>;

/** Narrows the union by type. */
export type EventOf<T extends EventType> = Extract<KnownHubEvent, { type: T }>;
/** Narrows the custom events by name. */
export type CustomEventOf<N extends CustomNameValue> = Extract<KnownHubEvent, { type: EventType.CUSTOM; name: N }>;

/** An event this client doesn't understand: a newer type or custom name, or a known one whose fields don't parse. */
export interface UnknownHubEvent extends HubEnvelope {
	type: "unknown";
	/** The `type` it arrived with. */
	wireType: string;
	/** Its `name`, for a `CUSTOM` event. */
	name?: string;
	/** Why it isn't typed (a known type whose fields don't parse); absent for a type or name this version doesn't know. */
	error?: string;
	/** The event as it arrived. */
	raw: Record<string, unknown>;
}

/** What a client works with: a typed event, or an unknown one it keeps (and counts) without reading. */
export type ClientEvent = KnownHubEvent | UnknownHubEvent;

const STANDARD_TYPES = new Set<string>(
	SparkyEventSchema.options.flatMap((o) => [...(o._zod.propValues.type ?? [])].map(String)),
);
const CUSTOM_NAMES = new Set<string>(Object.values(CustomName));

/** Whether this version knows the event's type (and, for `CUSTOM`, its name). */
export function isKnownEventKind(type: unknown, name?: unknown): boolean {
	if (type === EventType.CUSTOM) return typeof name === "string" && CUSTOM_NAMES.has(name);
	return typeof type === "string" && STANDARD_TYPES.has(type);
}

/** A zod error as one line: `value.status: Invalid option … (sparky.task.status)`. */
export function describeEventError(error: z.ZodError, raw?: unknown): string {
	const r = (raw ?? {}) as { type?: unknown; name?: unknown };
	const what = r.type === EventType.CUSTOM ? `CUSTOM ${String(r.name)}` : String(r.type);
	const issues = error.issues.slice(0, 3).map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`);
	return `invalid ${what} event: ${issues.join("; ")}`;
}

/**
 * The client boundary: one event off the wire (socket frame, HTTP page, SSE message) into a
 * typed `ClientEvent`. Fails only when the envelope (seq, id, ts…) is broken; an unknown type
 * or name, or a known one that doesn't parse, comes back as the `unknown` variant.
 */
export function parseHubEvent(raw: unknown): { ok: true; event: ClientEvent } | { ok: false; error: string } {
	const envelope = HubEnvelopeSchema.safeParse(raw);
	if (!envelope.success) return { ok: false, error: describeEventError(envelope.error, raw) };
	const fields = envelope.data;
	const type = typeof fields.type === "string" ? fields.type : "";
	if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(type)) return { ok: false, error: "type: an AG-UI event type, upper case" };
	const unknown = (error?: string): ClientEvent => ({
		seq: fields.seq,
		id: fields.id,
		ts: fields.ts,
		...(fields.task_id !== undefined ? { task_id: fields.task_id } : {}),
		...(fields.chat_id !== undefined ? { chat_id: fields.chat_id } : {}),
		...(fields.attempt !== undefined ? { attempt: fields.attempt } : {}),
		type: "unknown",
		wireType: type,
		...(typeof fields.name === "string" ? { name: fields.name } : {}),
		...(error ? { error } : {}),
		raw: fields,
	});
	if (!isKnownEventKind(type, fields.name)) return { ok: true, event: unknown() };
	const typed = TypedHubEventSchema.safeParse(raw);
	if (!typed.success) return { ok: true, event: unknown(describeEventError(typed.error, raw)) };
	return { ok: true, event: typed.data };
}

/** Every event of a list (an HTTP page, a `chat.history` answer) that has a valid envelope, typed. */
export function parseHubEvents(raw: readonly unknown[]): ClientEvent[] {
	return raw.flatMap((r) => {
		const parsed = parseHubEvent(r);
		return parsed.ok ? [parsed.event] : [];
	});
}

// ---- producers -----------------------------------------------------------------------------

/** Arrays inside accept read-only ones too (`as const` literals): a producer never needs to mutate them. */
type Loosened<T> = 0 extends 1 & T
	? T
	: T extends readonly (infer U)[]
		? readonly Loosened<U>[]
		: T extends object
			? { [K in keyof T]: Loosened<T[K]> }
			: T;
/** Known fields only: drops the index signature AG-UI's loose schemas add, so a misspelt field is a compile error. */
type Exact<T> = T extends unknown
	? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Loosened<T[K]> }
	: never;

/** An AG-UI event a producer builds (no envelope): only the types and fields Sparky sends. */
export type AgUiEvent = Exact<z.input<typeof SparkyEventSchema>>;

/** The envelope a producer may set (the hub numbers the event and fills what's missing). */
export type PublishEnvelope = {
	id?: string;
	ts?: number;
	task_id?: string;
	chat_id?: string;
	attempt?: number;
};

/** A typed event ready for `UserHub.publish`. */
export type TypedPublishEvent = AgUiEvent & PublishEnvelope;

/** A Sparky `CUSTOM` event of `name`: its value checked against the name at compile time. */
export function sparkyEvent<N extends CustomNameValue>(
	name: N,
	value: CustomValue<N>,
): { type: EventType.CUSTOM; name: N; value: CustomValue<N> } {
	return { type: EventType.CUSTOM, name, value };
}
