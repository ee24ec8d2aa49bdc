import { validator } from "hono/validator";
import type { z } from "zod";
import { invalid, invalidJson } from "../errors.ts";
import { describeIssues, LIMITS, tooDeep } from "../protocol/index.ts";

function check<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
	if (tooDeep(input, LIMITS.jsonDepth)) {
		throw invalid(`${where} nests deeper than ${LIMITS.jsonDepth} levels`);
	}
	const result = schema.safeParse(input);
	if (!result.success) {
		throw invalid(`invalid ${where}`, describeIssues(result.error));
	}
	return result.data;
}

/**
 * Validates a JSON body. Bodies are read as JSON whatever their Content-Type, because
 * `curl -d '{...}'` sends `application/x-www-form-urlencoded`; an empty body counts as `{}`.
 */
export const jsonBody = <T extends z.ZodType>(schema: T) =>
	validator("json", async (value, c) => {
		let input: unknown = value;
		if (!/json/i.test(c.req.header("Content-Type") ?? "")) {
			// Decoded by hand: workerd warns when .text() reads a form-typed body.
			const text = new TextDecoder().decode(await c.req.arrayBuffer());
			try {
				input = text.trim() === "" ? {} : JSON.parse(text);
			} catch {
				throw invalidJson("request body is not valid JSON");
			}
		}
		return check(schema, input, "request body");
	});

export const queryOf = <T extends z.ZodType>(schema: T) =>
	validator("query", (value) => check(schema, value, "query parameters"));

export const paramsOf = <T extends z.ZodType>(schema: T) =>
	validator("param", (value) => check(schema, value, "path parameters"));
