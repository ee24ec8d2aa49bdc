/**
 * JSON Schema checks for MCP (a tool's input schema, the SDK's output-schema checks) with
 * zod 4's `z.fromJSONSchema`: zod is in the bundle anyway, and Workers can't run Ajv (it
 * compiles with `new Function`). A schema zod can't read checks nothing here; the server
 * still checks its own input.
 */
import type { JsonSchemaValidatorResult, jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { z } from "zod";
import { describeIssues } from "../protocol/index.ts";

/** What is wrong with an input, or undefined when it fits. */
export type InputCheck = (input: unknown) => string | undefined;

export function schemaCheck(schema: unknown): InputCheck {
	let zod: z.ZodType;
	try {
		zod = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
	} catch {
		return () => undefined;
	}
	return (input) => {
		const result = zod.safeParse(input);
		if (result.success) return undefined;
		return describeIssues(result.error)
			.slice(0, 5)
			.map((issue) => `${issue.path === "(root)" ? "/" : `/${issue.path.replace(/\./g, "/")}`}: ${issue.message}`)
			.join("; ");
	};
}

/** The SDK's validator interface (Client and Server take one) on top of `schemaCheck`. */
export const zodJsonSchemaValidator: jsonSchemaValidator = {
	getValidator<T>(schema: unknown) {
		const check = schemaCheck(schema);
		return (input: unknown): JsonSchemaValidatorResult<T> => {
			const problem = check(input);
			return problem === undefined
				? { valid: true, data: input as T, errorMessage: undefined }
				: { valid: false, data: undefined, errorMessage: problem };
		};
	},
};
