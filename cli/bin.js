#!/usr/bin/env node
// The `sparky` command. The CLI is TypeScript (cli/*.ts, sharing src/protocol and src/client
// with the Worker) that Node runs directly by stripping the types: Node ≥ 22.18 (or ≥ 23.6).
// Inside this repository `npx sparky` runs it with the Node 24 that `npm install` brings.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const supported = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
if (!supported) {
	process.stderr.write(
		`sparky needs Node.js ≥ 22.18 (it runs its TypeScript directly); this is Node ${process.versions.node}.\n` +
			"From the Sparky repository, `npx sparky …` uses the Node 24 that `npm install` brings.\n",
	);
	process.exit(1);
}
// Node 22/23 announce type stripping as experimental on every run: not news to a CLI user.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
	const text = typeof warning === "string" ? warning : warning?.message;
	if (/type stripping/i.test(String(text))) return;
	return emitWarning.call(process, warning, ...rest);
};
// Cache compiled (and type-stripped) modules between runs: a noticeably quicker start.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
await import("./main.ts");
