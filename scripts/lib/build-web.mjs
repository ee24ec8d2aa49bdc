// Builds the web page (web/ → web/dist) with Vite, in this Node process. `npm start` and the
// e2e tests call it; `npm test` runs the same build as its first step (`vite build`).
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** @param {{ quiet?: boolean }} [options] */
export async function buildWeb({ quiet = false } = {}) {
	const { build } = await import("vite");
	await build({ configFile: resolve(root, "web/vite.config.ts"), logLevel: quiet ? "warn" : "info" });
}
