// Builds the CopilotKit test app (test/copilotkit/app) with the project's Vite, into `outDir`,
// to be served under `base` (the test serves it from Sparky's own origin: see global-setup.ts).
import { resolve } from "node:path";

export const APP_BASE = "/copilotkit-test/";

export async function buildApp(outDir: string): Promise<void> {
	const { build } = await import("vite");
	await build({
		configFile: false,
		root: resolve(import.meta.dirname, "../app"),
		base: APP_BASE,
		// "error": the bundle's dependencies warn about "use client" directives (meaningless here).
		logLevel: "error",
		clearScreen: false,
		// A production build whatever NODE_ENV is (vitest sets "test"): React's and Lit's production
		// code, not their development builds.
		mode: "production",
		oxc: { jsx: { runtime: "automatic", importSource: "react", development: false } },
		resolve: { conditions: ["module", "browser", "production"] },
		define: { "process.env.NODE_ENV": JSON.stringify("production") },
		build: { outDir, emptyOutDir: true, target: "es2022", sourcemap: false, chunkSizeWarningLimit: 100_000 },
	});
}
