import { APICallError, InvalidResponseDataError } from "@ai-sdk/provider";
import { RetryError, StreamProviderError } from "ai";
import { errorText } from "./ag-ui.ts";

export interface ClassifiedError {
	/** `transient`: worth another attempt later (rate limit, overload, network). */
	kind: "transient" | "permanent";
	/** Readable reason, kept on the task and shown to people. Never contains credentials. */
	message: string;
}

const TRANSIENT_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);
/** Error types providers send inside a stream (Anthropic `overloaded_error`, OpenAI `server_error`…). */
const TRANSIENT_STREAM_TYPES = /overloaded|rate_limit|server_error|api_error|timeout|unavailable/i;

/** Decides whether a failed model call is worth retrying, and says why in words. */
export function classifyError(error: unknown): ClassifiedError {
	if (RetryError.isInstance(error)) return classifyError(error.lastError);
	if (APICallError.isInstance(error)) {
		// A connection lost while reading a streamed answer arrives wrapped: an APICallError with
		// status 200 ("Failed to process successful response") whose cause is the network error.
		if (error.cause !== undefined && classifyError(error.cause).kind === "transient") {
			return { kind: "transient", message: `the model provider's response broke off: ${trim(errorText(error.cause))}` };
		}
		const status = error.statusCode;
		const transient = error.isRetryable || (status !== undefined && TRANSIENT_STATUS.has(status));
		const what = status ? `the model provider answered HTTP ${status}` : "the model provider call failed";
		return { kind: transient ? "transient" : "permanent", message: `${what}: ${trim(error.message)}` };
	}
	// An error the provider sent inside the stream, normalized by the SDK. Its `isRetryable`
	// also covers errors that carry only a status (e.g. `{"error":{"code":502,…}}`, no type).
	if (StreamProviderError.isInstance(error)) {
		const transient = error.isRetryable || (error.type !== undefined && TRANSIENT_STREAM_TYPES.test(error.type));
		const what = error.type ?? (error.statusCode ? `HTTP ${error.statusCode}` : "an error");
		return {
			kind: transient ? "transient" : "permanent",
			message: `the model provider reported ${what}: ${trim(error.message)}`,
		};
	}
	// The SDK's word for a stream that stopped before its finish signal (a cut connection).
	if (InvalidResponseDataError.isInstance(error) && /stream ended without/i.test(error.message)) {
		return { kind: "transient", message: `the model provider's stream ended early: ${trim(error.message)}` };
	}
	if (isObject(error) && error.retryable === true) {
		return { kind: "transient", message: `temporary failure: ${trim(errorText(error))}` };
	}
	// workerd's opaque fetch failure (refused, DNS, no route: tools/network-error.ts says the same for tools).
	if (/(^|: )internal error(; reference = \S+)?$/i.test(errorText(error).trim())) {
		return {
			kind: "transient",
			message: "could not reach the model provider (connection refused, unknown host or no network)",
		};
	}
	if (error instanceof TypeError && /fetch|network|connect|socket|reset/i.test(error.message)) {
		return { kind: "transient", message: `network error reaching the model provider: ${trim(error.message)}` };
	}
	if (isObject(error) && typeof error.type === "string" && TRANSIENT_STREAM_TYPES.test(error.type)) {
		return { kind: "transient", message: `the model provider reported ${error.type}: ${trim(errorText(error))}` };
	}
	return { kind: "permanent", message: trim(errorText(error)) || "unknown error" };
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null;
}

/** Keeps reasons short, and strips anything shaped like a key. */
function trim(text: string): string {
	const clean = text
		.replace(/(sk|spk|tkt)[-_][A-Za-z0-9_-]{8,}/g, "[redacted]")
		.replace(/\s+/g, " ")
		.trim();
	return clean.length > 500 ? `${clean.slice(0, 500)}…` : clean;
}
