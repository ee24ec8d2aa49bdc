import { z } from "zod";

/**
 * Every error the service reports, over HTTP (`{ error: {...} }`) or as a WebSocket `error`
 * control message, carries one of these codes. Clients switch on the code, never the message.
 */
export const ErrorCode = {
	badRequest: "bad_request",
	invalidJson: "invalid_json",
	validationFailed: "validation_failed",
	unauthorized: "unauthorized",
	forbidden: "forbidden",
	notFound: "not_found",
	conflict: "conflict",
	/** An approval past its `expires_at`: it can no longer be decided (409). */
	approvalExpired: "approval_expired",
	payloadTooLarge: "payload_too_large",
	upgradeRequired: "upgrade_required",
	rateLimited: "rate_limited",
	/** A message sent with `policy: "reject"` while a turn of its chat runs (409). */
	turnRunning: "turn_running",
	/** A user's day or month budget is spent (402, with the cap and when it resets in `details`). */
	budgetExceeded: "budget_exceeded",
	unsupportedFrame: "unsupported_frame",
	unavailable: "unavailable",
	/** An MCP server that did not answer MCP when it was registered (422, with what was tried). */
	mcpUnreachable: "mcp_unreachable",
	internal: "internal_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorBodySchema = z.object({
	error: z.object({
		code: z.string(),
		message: z.string(),
		details: z.unknown().optional(),
	}),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Turns zod issues into a short, JSON-safe list: where, and what was wrong. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
	return error.issues.slice(0, 20).map((issue) => ({
		path: issue.path.map(String).join(".") || "(root)",
		message: issue.message,
	}));
}
