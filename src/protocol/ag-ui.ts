import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { z } from "zod";
import { ChatLimits, SendPolicySchema } from "./chats.ts";
import { FileIdSchema } from "./files.ts";
import { OpaqueIdSchema } from "./ids.ts";
import { ApproveToolsSchema, ToolNameSchema } from "./tasks.ts";
import { MaxCostSchema } from "./usage.ts";

/** AG-UI's own schema of a run request (`@ag-ui/core`), checked first, as any AG-UI server would. */
export { RunAgentInputSchema };

export const AgUiLimits = {
	/** Client-side tools one run may offer. */
	clientTools: 32,
	/** Characters of one client tool's JSON Schema (as JSON). */
	toolSchemaChars: 16_000,
	/** Characters of one tool result a client sends back. */
	toolResultChars: 64_000,
	messages: 500,
	messageIdChars: 128,
	/** A run request's body: room for inline images and documents (bigger files: upload them, send the id). */
	bodyBytes: 8 * 1024 * 1024,
} as const;

/** Sparky's own tools (src/tools/registry.ts; a test keeps the two lists equal): a client tool can't take their names. */
export const BUILTIN_TOOL_NAMES = [
	"list_files",
	"read_file",
	"write_file",
	"delete_file",
	"http_fetch",
	"add_task",
	"list_tasks",
	"current_time",
	"remember",
	"recall",
	"forget",
	"read_attachment",
	"save_to_workspace",
] as const;

/** A tool the AG-UI client runs itself: offered to the model beside Sparky's own. */
export const ClientToolSchema = z.object({
	name: ToolNameSchema.refine((name) => !(BUILTIN_TOOL_NAMES as readonly string[]).includes(name), {
		message: "a client tool can't take the name of one of Sparky's own tools",
	}),
	description: z.string().max(2_000),
	/** A JSON Schema for the tool's input (an object); absent means "no input". */
	parameters: z
		.record(z.string(), z.unknown())
		.refine((s) => JSON.stringify(s).length <= AgUiLimits.toolSchemaChars, {
			message: `a tool's parameters schema over ${AgUiLimits.toolSchemaChars} characters`,
		})
		.refine((s) => s.type === undefined || s.type === "object", {
			message: 'a tool\'s parameters must describe an object (`"type": "object"`)',
		})
		.optional(),
});
export type ClientTool = z.infer<typeof ClientToolSchema>;

/** `resume[].payload` for an approval interrupt (`reason: "tool_approval"`). */
export const ApprovalResumePayloadSchema = z.object({
	approved: z.boolean(),
	reason: z.string().trim().min(1).max(500).optional(),
});

const MessageIdSchema = z.string().min(1).max(AgUiLimits.messageIdChars);

/**
 * What Sparky adds to AG-UI's own checks of a `RunAgentInput`: a thread id that can be a chat
 * id, bounded sizes, client tool schemas, and `forwardedProps.sparky`. Unknown fields pass
 * (AG-UI's objects are open); only what Sparky reads is checked.
 */
export const SparkyRunInputSchema = z.object({
	threadId: OpaqueIdSchema,
	runId: z.string().min(1).max(128),
	messages: z.array(z.object({ id: MessageIdSchema, role: z.string() }).loose()).max(AgUiLimits.messages),
	tools: z
		.array(ClientToolSchema)
		.max(AgUiLimits.clientTools)
		.refine((tools) => new Set(tools.map((t) => t.name)).size === tools.length, {
			message: "tool names must be unique",
		})
		.optional(),
	resume: z
		.array(
			z.object({
				interruptId: OpaqueIdSchema,
				status: z.enum(["resolved", "cancelled"]),
				payload: z.unknown().optional(),
			}),
		)
		.max(50)
		.optional(),
	forwardedProps: z
		.object({
			sparky: z
				.strictObject({
					approve: ApproveToolsSchema.optional(),
					max_cost_usd: MaxCostSchema.optional(),
					policy: SendPolicySchema.optional(),
				})
				.optional(),
		})
		.loose()
		.nullish(),
});
export type SparkyRunInput = z.infer<typeof SparkyRunInputSchema>;

/** A user message's text (AG-UI allows multimodal parts; Sparky reads the text parts). */
export function messageText(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	return content
		.map((part) => (part && typeof part === "object" && part.type === "text" ? String(part.text ?? "") : ""))
		.filter(Boolean)
		.join("\n");
}

/**
 * An image or document part of a user message, as Sparky takes it: the bytes inline (base64,
 * `source.type: "data"`; stored as an upload of the user's), or an uploaded file's id
 * (`source.type: "file"`, `value: "file_…"`, provider absent or `sparky`). URLs are not
 * fetched. Audio and video parts are refused.
 */
export const InputMediaPartSchema = z.object({
	type: z.enum(["image", "document"]),
	source: z.discriminatedUnion("type", [
		z.object({
			type: z.literal("data"),
			// A data URL's prefix is tolerated; what follows must be base64.
			value: z
				.string()
				.min(1)
				.transform((v) => v.replace(/^data:[^,]{0,200},/, ""))
				.pipe(z.string().regex(/^[A-Za-z0-9+/\r\n]*={0,2}$/, "inline data must be base64")),
			mimeType: z.string().min(1).max(255),
		}),
		z.object({
			type: z.literal("file"),
			value: FileIdSchema,
			provider: z.literal("sparky").optional(),
			mimeType: z.string().max(255).optional(),
		}),
		z.object({ type: z.literal("url") }).refine(() => false, {
			message:
				"Sparky doesn't fetch attachment URLs: send the bytes (source type data) or an uploaded file's id (source type file)",
		}),
	]),
	metadata: z.unknown().optional(),
});
export type InputMediaPart = z.infer<typeof InputMediaPartSchema>;

/** The longest text one AG-UI turn may carry (the same as a chat message). */
export const TURN_TEXT_CHARS = ChatLimits.messageChars;
