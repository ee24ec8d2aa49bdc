/**
 * Stands in (through `[alias]` in wrangler.toml) for modules the MCP SDK imports but Sparky
 * never runs, to keep them out of the Worker bundle:
 * - `ajv`, `ajv-formats`: the SDK's default JSON Schema validator. Sparky always passes the
 *   zod-based validator instead (src/mcp/json-schema.ts; Ajv compiles with `new Function`, which Workers forbid).
 * - `zod/v3`, `zod-to-json-schema`: the SDK's code paths for zod 3 schemas; Sparky's are zod 4.
 * Reaching any of this is a bug: it throws and says so.
 */
function notBundled(): never {
	throw new Error("this module is not bundled into the Worker (see src/mcp/unbundled.ts)");
}

export default class NotBundled {
	constructor() {
		notBundled();
	}
}
export const object = notBundled;
export const zodToJsonSchema = notBundled;
