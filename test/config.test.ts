import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentConfig, capsConfig } from "../src/config.ts";

describe("config", () => {
	it("remembers settings per env object: another env with other values gets its own, and the first keeps its", () => {
		const base = agentConfig(env);
		// The same object: the parsed settings, not a second parse.
		expect(agentConfig(env)).toEqual(base);
		const fewer = { ...env, SPARKY_MAX_STEPS: String(base.maxSteps + 1), SPARKY_MAX_OPEN_TASKS: "3" };
		expect(agentConfig(fewer).maxSteps).toBe(base.maxSteps + 1);
		expect(capsConfig(fewer).openTasks).toBe(3);
		expect(agentConfig(env).maxSteps).toBe(base.maxSteps);
	});

	it("fails loudly, naming the variable, and does not remember a bad env", () => {
		const bad = { ...env, SPARKY_MAX_STEPS: "many" };
		expect(() => agentConfig(bad)).toThrow(/invalid configuration SPARKY_MAX_STEPS/);
		expect(() => agentConfig(bad)).toThrow(/invalid configuration SPARKY_MAX_STEPS/);
	});
});
