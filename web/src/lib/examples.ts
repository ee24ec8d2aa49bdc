/**
 * The home screen's example prompts: each one the built-in demo model answers with a real tool
 * call (src/agent/demo-plan.ts; test/web/examples.test.ts keeps them so).
 */
export const EXAMPLES = [
	"List the files in my workspace and summarise README.md",
	"What time is it?",
	"Write notes.txt with: water the plants on Friday",
	"Show my tasks",
] as const;
