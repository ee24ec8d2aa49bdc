#!/usr/bin/env node
// `npm test`: every check and every test suite, in order, with one summary at the end.
// Each step's result is recorded in test-results/summary.json; .ci/run prints its totals.
//   checks: the web page builds (web/dist, needed by everything that reads wrangler.toml's
//           [assets]), generated types current, tsc (Worker, web page, e2e tests), biome,
//           deno check of the portable core, production bundle (`wrangler deploy --dry-run`)
//   suites: vitest in workerd (JSON report), the portable core under Deno (JUnit report),
//           browser end-to-end tests in Chromium against a real `wrangler dev` (JSON report),
//           the CLI end to end against wrangler dev (vitest in Node, JSON report),
//           the real @ag-ui/client against wrangler dev (vitest in Node, JSON report),
//           MCP both ways against wrangler dev and the reference MCP server (JSON report),
//           the fault suite: crashes, load, slow consumers, floods, fuzz, auth matrix (JSON report)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { bundleReport } from "./lib/bundle.mjs";
import { wranglerEnv } from "./lib/wrangler.mjs";

const root = resolve(import.meta.dirname, "..");
const results = resolve(root, "test-results");
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const only = process.argv.slice(2);
const steps = [];

// First: vitest's workerd pool and `wrangler deploy` read wrangler.toml, whose [assets] is web/dist.
await check("build-web", ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"]);
await check("types", ["wrangler", "types", "--check", "--strict-vars=false", "--env-file", ".dev.vars.example"]);
await check("tsc", ["tsc", "--noEmit"]);
await check("tsc-web", ["tsc", "--noEmit", "-p", "web/tsconfig.json"]);
await check("tsc-e2e", ["tsc", "--noEmit", "-p", "test/e2e/tsconfig.json"]);
// The CLI runs on Node, not Workers: its own tsconfig (Node's types).
await check("tsc-cli", ["tsc", "--noEmit", "-p", "cli"]);
await check("tsc-faults", ["tsc", "--noEmit", "-p", "test/faults"]);
await check("tsc-ag-ui", ["tsc", "--noEmit", "-p", "test/ag-ui-client"]);
await check("tsc-mcp", ["tsc", "--noEmit", "-p", "test/mcp-live"]);
await check("biome", ["biome", "check", "."]);
// The portable core (deno.json's `check` task lists it): protocol, client, agent loop,
// pure tool logic. Run directly: `deno task` would re-resolve `deno` through npm's shim.
const denoJson = JSON.parse(readFileSync(resolve(root, "deno.json"), "utf8"));
await check("deno-check", denoJson.tasks.check.split(/\s+/));
await suite(
	"vitest",
	["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}/vitest.json`],
	() => countVitest(`${results}/vitest.json`),
);
await suite(
	"deno",
	[
		"deno",
		"test",
		"--allow-read",
		"--allow-env",
		"--reporter=dot",
		"--allow-sys=hostname",
		`--junit-path=${results}/deno.xml`,
	],
	() => countJunitSteps(`${results}/deno.xml`),
);
// The `sparky` CLI end to end: child processes against a real wrangler dev (vitest in Node).
await suite(
	"cli",
	[
		"vitest",
		"run",
		"-c",
		"vitest.cli.config.ts",
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/cli.json`,
	],
	() => countVitest(`${results}/cli.json`),
);
// Any AG-UI client: the real @ag-ui/client (HttpAgent, its parser and verifier) against wrangler dev.
await suite(
	"ag-ui",
	[
		"vitest",
		"run",
		"-c",
		"vitest.agui.config.ts",
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/ag-ui.json`,
	],
	() => countVitest(`${results}/ag-ui.json`),
);
// MCP both ways: the reference MCP server (server-everything) and Sparky's /mcp with the SDK client,
// against a real wrangler dev (vitest in Node, JSON report).
await suite(
	"mcp",
	[
		"vitest",
		"run",
		"-c",
		"vitest.mcp.config.ts",
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/mcp.json`,
	],
	() => countVitest(`${results}/mcp.json`),
);
// Debian's Chromium (playwright-core) against a real `wrangler dev`; fails, never skips,
// when Chromium is missing. Its global setup builds the page again, so `npm test e2e` works alone.
await suite(
	"e2e",
	[
		"vitest",
		"run",
		"--config",
		"vitest.e2e.config.ts",
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/e2e.json`,
	],
	() => countVitest(`${results}/e2e.json`),
);
// Faults, load and hostile input against real `wrangler dev` processes (npm run test:faults).
await suite(
	"faults",
	[
		"vitest",
		"run",
		"--config",
		"vitest.faults.config.ts",
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/faults.json`,
	],
	() => countVitest(`${results}/faults.json`),
);
await check("bundle", ["wrangler", "deploy", "--dry-run", "--outdir", "dist"], async () => {
	const report = await bundleReport(resolve(root, "dist"));
	console.log(`bundle: ${report.files} files, ${report.rawKiB} KiB raw, ${report.gzipKiB} KiB gzip`);
	writeFileSync(`${results}/bundle.json`, JSON.stringify(report, null, 2));
});

const passed = steps.reduce((n, s) => n + s.passed, 0);
const failed = steps.reduce((n, s) => n + s.failed, 0);
writeFileSync(`${results}/summary.json`, JSON.stringify({ passed, failed, steps }, null, 2));
console.log("\nsteps:");
for (const s of steps)
	console.log(`  ${s.failed ? "FAIL" : "ok  "} ${s.name.padEnd(12)} ${s.passed} passed, ${s.failed} failed`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

// ---- helpers ------------------------------------------------------------------------------

function wanted(name) {
	return only.length === 0 || only.includes(name);
}

/** A check counts as one test: it passes when its command exits 0 (and `after` doesn't throw). */
async function check(name, command, after) {
	if (!wanted(name)) return;
	let ok = (await run(name, command)) === 0;
	if (ok && after) {
		try {
			await after();
		} catch (error) {
			console.error(`${name}: ${error.message}`);
			ok = false;
		}
	}
	steps.push({ name, passed: ok ? 1 : 0, failed: ok ? 0 : 1 });
}

/** A suite counts its tests from its report; a crash without a report counts as one failure. */
async function suite(name, command, count) {
	if (!wanted(name)) return;
	const code = await run(name, command);
	let counts;
	try {
		counts = count();
	} catch (error) {
		console.error(`${name}: no readable report (${error.message})`);
		counts = { passed: 0, failed: 1 };
	}
	// A runner that exits non-zero with every test passing still failed (unhandled errors, say).
	if (code !== 0 && counts.failed === 0) counts.failed = 1;
	steps.push({ name, ...counts });
}

function run(name, [bin, ...args]) {
	console.log(`\n▶ ${name}: ${bin} ${args.join(" ")}`);
	return new Promise((resolvePromise) => {
		const child = spawn(resolve(root, "node_modules/.bin", bin), args, {
			cwd: root,
			stdio: "inherit",
			env: wranglerEnv({ FORCE_COLOR: process.stdout.isTTY ? "1" : "0" }),
		});
		child.on("error", (error) => {
			console.error(`${name}: ${error.message}`);
			resolvePromise(1);
		});
		child.on("exit", (code) => resolvePromise(code ?? 1));
	});
}

function countVitest(file) {
	const report = JSON.parse(readFileSync(file, "utf8"));
	return { passed: report.numPassedTests, failed: report.numFailedTests };
}

/** Deno's JUnit report: one testcase per describe block and one per `it` ("block > test"). */
function countJunitSteps(file) {
	if (!existsSync(file)) throw new Error(`${file} missing`);
	const xml = readFileSync(file, "utf8");
	const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].filter(([, n]) =>
		n.includes("&gt;"),
	);
	const failed = cases.filter(([, , body]) => /<failure/.test(body)).length;
	return { passed: cases.length - failed, failed };
}
