/** Entry point (after cli/bin.js checked the Node version): run, then exit with the code. */
import { run } from "./program.ts";

// `sparky … | head`: a reader that went away is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
	if (error.code === "EPIPE") process.exit(0);
	throw error;
});

const code = await run(process.argv);
// Let stdout and stderr drain (they may be pipes), then leave even if a socket or timer lingers.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
process.exit(code);
