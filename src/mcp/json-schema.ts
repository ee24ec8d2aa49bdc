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
		zod = z.fromJSONSchema(withoutPatterns(schema) as Parameters<typeof z.fromJSONSchema>[0]);
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

/** Keywords whose value is one schema (or, for `items`, a list of them). */
const SCHEMA_KEYWORDS = new Set([
	"items",
	"additionalItems",
	"additionalProperties",
	"unevaluatedItems",
	"unevaluatedProperties",
	"contains",
	"propertyNames",
	"not",
	"if",
	"then",
	"else",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "$defs", "definitions", "dependentSchemas"]);

/**
 * A schema without its `pattern` and `patternProperties`: a regular expression an MCP server
 * wrote (or a model's input met) could backtrack for minutes (`^(a+)+$`), in the isolate every
 * run of a consumer batch shares. The server still checks its own input; ours is a courtesy
 * that tells the model sooner. Walks keyword positions only, so a property named `pattern` stays.
 */
export function withoutPatterns(schema: unknown, depth = 0): unknown {
	if (schema === null || typeof schema !== "object") return schema;
	// Deeper than any real tool's schema: checked as anything, rather than walked without end.
	if (depth > 64) return {};
	if (Array.isArray(schema)) return schema.map((item) => withoutPatterns(item, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(schema)) {
		if (key === "pattern" || key === "patternProperties") continue;
		if (SCHEMA_KEYWORDS.has(key) || SCHEMA_LIST_KEYWORDS.has(key)) out[key] = withoutPatterns(value, depth + 1);
		else if (SCHEMA_MAP_KEYWORDS.has(key) && value !== null && typeof value === "object" && !Array.isArray(value))
			out[key] = Object.fromEntries(
				Object.entries(value).map(([name, sub]) => [name, withoutPatterns(sub, depth + 1)]),
			);
		else out[key] = value;
	}
	return out;
}
