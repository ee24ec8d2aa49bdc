import { env } from "cloudflare:workers";
import { agentConfig } from "../../src/config.ts";
import { depsFor } from "../../src/deps.ts";
import type { ToolContext } from "../../src/tools/types.ts";

export function toolContext(userId: string, overrides: Partial<ToolContext> = {}): ToolContext {
	return {
		env,
		relay: depsFor(env).relay,
		userId,
		depth: 0,
		signal: new AbortController().signal,
		config: agentConfig(env),
		fetch: () => Promise.reject(new Error("no network in tests")),
		now: Date.now,
		...overrides,
	};
}
