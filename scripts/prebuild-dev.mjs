#!/usr/bin/env node
// `npm test`'s first step for the wrangler dev suites: the Worker bundled once, the way
// wrangler dev bundles it, kept in .wrangler/prebuilt (scripts/lib/dev-prep.mjs says why).
// One wrangler dev starts (bundling as usual; its state folder makes the schema template on the
// way), its bundle under .wrangler/tmp is kept, and it stops.
import "./lib/node-check.mjs";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PREBUILT_DIR } from "./lib/dev-prep.mjs";
import { startDevServer } from "./lib/dev-server.mjs";

const tmp = resolve(import.meta.dirname, "../.wrangler/tmp");
const bundles = () => (existsSync(tmp) ? readdirSync(tmp).filter((name) => name.startsWith("dev-")) : []);
const before = new Set(bundles());
const state = mkdtempSync(join(tmpdir(), "sparky-prebuild-"));
const server = await startDevServer({ persistTo: state, adminToken: "prebuild-only-0123456789abcdefghijkl" });
try {
	const made = bundles().filter((name) => !before.has(name) && existsSync(join(tmp, name, "index.js")));
	if (made.length !== 1) throw new Error(`expected one new wrangler dev bundle in ${tmp}, found ${made.length}`);
	rmSync(PREBUILT_DIR, { recursive: true, force: true });
	mkdirSync(PREBUILT_DIR, { recursive: true });
	cpSync(join(tmp, made[0]), PREBUILT_DIR, { recursive: true });
} finally {
	await server.stop();
	rmSync(state, { recursive: true, force: true });
}
console.log(`wrangler dev's bundle kept in ${PREBUILT_DIR}`);
