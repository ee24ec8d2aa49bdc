import { SparkyError } from "../errors.ts";
import { fail, type ToolFailure } from "./types.ts";

/** A refusal of the memory service (at the cap, past the rate) as a value the model reads; anything else throws on. */
export function memoryRefusal(error: unknown): ToolFailure {
	if (error instanceof SparkyError && (error.kind === "conflict" || error.kind === "rate_limited"))
		return fail(error.message);
	throw error;
}
