import { describe, expect, it } from "vitest";
import { planCalls } from "../../src/agent/demo-plan.ts";
import { EXAMPLES } from "../../web/src/lib/examples.ts";

describe("web: the home screen's examples", () => {
	it("each one makes the demo model call a real tool", () => {
		const tools = EXAMPLES.map((example) => planCalls(example).map((call) => call.toolName));
		expect(tools).toEqual([["list_files", "read_file"], ["current_time"], ["write_file"], ["list_tasks"]]);
	});
});
