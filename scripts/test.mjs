#!/usr/bin/env node
// `npm test`: every check and every test suite, with one summary at the end.
// Each step's result is recorded in test-results/summary.json; .ci/run prints its totals.
//   first:  package-lock.json in sync and complete for every platform; the web page built once
//           (web/dist: wrangler.toml's [assets], read by every wrangler dev and the workerd pool)
//   then two lanes side by side, one per core:
//     checks and in-process suites: generated types current, tsc (the Worker, the web page),
//           biome, the import rules (dependency-cruiser), deno check, vitest in workerd, the
//           browser end-to-end tests, then the suites under Deno, the import-rule test and the
//           production bundle
//     suites against real `wrangler dev` processes: first the Worker bundled once by a wrangler dev
//           and kept, so that every later one runs it as is (scripts/lib/dev-prep.mjs; the e2e
//           suite of the other lane too), tsc of each Node-side suite against its own types,
//           the fault suite (two files at a time), then side by side the CLI, the real
//           @ag-ui/client, CopilotKit in Chromium, MCP both ways and the D1 migrations
// `npm test -- <step> [<step>…]` runs only those steps. A step's output is kept in
// test-results/logs/<step>.log and printed when it ends (so the lanes don't interleave).
import "./lib/node-check.mjs";
import { execFileSync, spawn } from "node:child_process";
import {
	cpSync,
	createWriteStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { bundleReport } from "./lib/bundle.mjs";
import { PREBUILT_DIR } from "./lib/dev-prep.mjs";
import { wranglerEnv } from "./lib/wrangler.mjs";

const root = resolve(import.meta.dirname, "..");
const results = resolve(root, "test-results");
const logs = resolve(results, "logs");
rmSync(results, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });

const only = process.argv.slice(2);
const startedAt = Date.now();
const cpuAtStart = cpuTimes();
const steps = [];

const vitest = (name, config) => ({
	name,
	command: [
		"vitest",
		"run",
		...(config ? ["-c", config] : []),
		"--reporter=default",
		"--reporter=json",
		`--outputFile.json=${results}/${name}.json`,
	],
	count: () => countVitest(`${results}/${name}.json`),
});

// Before anything else: the lockfile, and the page every wrangler dev and the workerd pool serve.
rmSync(PREBUILT_DIR, { recursive: true, force: true });
await lane([
	{ name: "lockfile", command: ["node", "scripts/check-lockfile.mjs"] },
	{ name: "build-web", command: ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"] },
]);
const built = (name) => steps.some((s) => s.name === name && s.failed === 0);
// The suites that would build the page themselves (the e2e setup) use this build.
if (built("build-web")) process.env.SPARKY_WEB_BUILT = "1";
/** One wrangler dev's bundle for all the others (lane two's first step; lane one's e2e starts long after). */
const buildWorker = {
	name: "build-worker",
	command: ["node", "scripts/prebuild-dev.mjs"],
	after: () => {
		if (existsSync(resolve(PREBUILT_DIR, "index.js"))) process.env.SPARKY_DEV_PREBUILT = PREBUILT_DIR;
	},
};

const denoJson = JSON.parse(readFileSync(resolve(root, "deno.json"), "utf8"));
const nodeSuiteTypes = [
	{ name: "tsc-e2e", command: ["tsc", "--noEmit", "-p", "test/e2e/tsconfig.json"] },
	{ name: "tsc-cli", command: ["tsc", "--noEmit", "-p", "cli"] },
	{ name: "tsc-faults", command: ["tsc", "--noEmit", "-p", "test/faults"] },
	{ name: "tsc-ag-ui", command: ["tsc", "--noEmit", "-p", "test/ag-ui-client"] },
	{ name: "tsc-copilotkit", command: ["tsc", "--noEmit", "-p", "test/copilotkit"] },
	{ name: "tsc-mcp", command: ["tsc", "--noEmit", "-p", "test/mcp-live"] },
];
// The lanes are balanced by measured time (docs/benchmarks.md, "CI time"): lane two takes the
// Node-side suites' type checks before the fault suite; lane one ends with the short suites.
await Promise.all([
	lane([
		{
			name: "types",
			command: ["wrangler", "types", "--check", "--strict-vars=false", "--env-file", ".dev.vars.example"],
		},
		// The Worker once; then each other program against its own types (web page, CLI and the
		// Node-side suites: those in lane two).
		{ name: "tsc", command: ["tsc", "--noEmit"] },
		{ name: "tsc-web", command: ["tsc", "--noEmit", "-p", "web/tsconfig.json"] },
		{ name: "biome", command: ["biome", "check", "."] },
		// docs/architecture.md's table of who may import whom, and no import circles.
		{ name: "imports", command: ["npm", "run", "--silent", "lint:imports"] },
		// Deno's own resolution of the Worker (deno.worker.json's import map, the Workers types):
		// what `deno task check` and the Deno suites rely on, which tsc doesn't see.
		{
			name: "deno-check",
			command: denoJson.tasks.check.command.replace(/^node_modules\/\.bin\//, "").split(/\s+/),
		},
		vitest("vitest"),
		// Debian's Chromium (playwright-core) against a real `wrangler dev`; fails, never skips,
		// when Chromium is missing.
		vitest("e2e", "vitest.e2e.config.ts"),
		// After it: the suites under Deno, the import rules' own test, the production bundle
		// (side by side with lane two's server suites they made too crowded: timing-bound tests
		// there failed).
		{
			name: "deno",
			command: [
				"deno",
				"test",
				"--allow-read",
				"--allow-env",
				"--reporter=dot",
				"--allow-sys=hostname",
				`--junit-path=${results}/deno.xml`,
			],
			count: () => countJunitSteps(`${results}/deno.xml`),
		},
		// The import rules can fail: a forbidden import added to a scratch copy is reported.
		vitest("import-rules", "vitest.imports.config.ts"),
		bundleStep(),
	]),
	lane([
		buildWorker,
		...nodeSuiteTypes,
		// Faults, load and hostile input against real `wrangler dev` processes (npm run test:faults).
		vitest("faults", "vitest.faults.config.ts"),
		// Suites that mostly wait on their servers, side by side: the `sparky` CLI as child
		// processes, the real @ag-ui/client, a CopilotKit React app in Chromium, MCP both ways with
		// the reference MCP server, and the D1 upgrade from every earlier schema.sql (node:sqlite
		// and `wrangler d1 migrations apply`).
		[
			vitest("cli", "vitest.cli.config.ts"),
			vitest("ag-ui", "vitest.agui.config.ts"),
			vitest("copilotkit", "vitest.copilotkit.config.ts"),
			vitest("mcp", "vitest.mcp.config.ts"),
			vitest("migrations", "vitest.migrations.config.ts"),
		],
	]),
]);

const passed = steps.reduce((n, s) => n + s.passed, 0);
const failed = steps.reduce((n, s) => n + s.failed, 0);
writeFileSync(`${results}/summary.json`, JSON.stringify({ passed, failed, steps }, null, 2));
console.log("\nsteps (seconds each; the two lanes ran side by side):");
for (const s of steps) {
	console.log(
		`  ${s.failed ? "FAIL" : "ok  "} ${s.name.padEnd(13)} ${`${s.seconds.toFixed(1)} s`.padStart(8)}  ${s.passed} passed, ${s.failed} failed`,
	);
	// Which tests failed, here at the end: a CI log's tail may be all a reader gets.
	for (const failure of s.failures ?? []) console.log(`       ✗ ${failure}`);
}
console.log(`  total ${((Date.now() - startedAt) / 1000).toFixed(1)} s${cpuBusy(cpuAtStart, cpuTimes())}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

// ---- helpers ------------------------------------------------------------------------------

/** The machine's CPU time so far (Linux /proc/stat: busy and idle jiffies), or undefined elsewhere. */
function cpuTimes() {
	try {
		const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
		const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
		return { idle, total: fields.reduce((a, b) => a + b, 0) };
	} catch {
		return undefined;
	}
}

/** ", CPU 87% busy": how much of the machine the run used (a run near 100% gains nothing from more parallelism). */
function cpuBusy(start, end) {
	if (!start || !end || end.total <= start.total) return "";
	const busy = 1 - (end.idle - start.idle) / (end.total - start.total);
	return `, CPU ${Math.round(busy * 100)}% busy`;
}

/**
 * Runs steps one after another; an array in the list runs its steps side by side. A step with
 * `count` is a suite (its tests counted from its report), any other a check that counts as one.
 */
async function lane(list) {
	for (const item of list) {
		if (Array.isArray(item)) await Promise.all(item.map((step) => runStep(step)));
		else await runStep(item);
	}
}

async function runStep({ name, command, count, cwd = root, after }) {
	if (only.length > 0 && !only.includes(name)) return;
	const began = Date.now();
	const code = await run(name, command, typeof cwd === "function" ? cwd() : cwd);
	let counts;
	if (count) {
		try {
			counts = count();
		} catch (error) {
			console.error(`${name}: no readable report (${error.message})`);
			counts = { passed: 0, failed: 1 };
		}
		// A runner that exits non-zero with every test passing still failed (unhandled errors, say).
		if (code !== 0 && counts.failed === 0) counts.failed = 1;
	} else {
		let ok = code === 0;
		if (ok && after) {
			try {
				await after();
			} catch (error) {
				console.error(`${name}: ${error.message}`);
				ok = false;
			}
		}
		counts = { passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
	}
	const seconds = (Date.now() - began) / 1000;
	console.log(
		`${counts.failed ? "✗" : "✓"} ${name}: ${counts.passed} passed, ${counts.failed} failed, ${seconds.toFixed(1)} s`,
	);
	steps.push({ name, ...counts, seconds });
}

/**
 * The production bundle, built the way a fresh clone deploys: `npm run deploy -- --dry-run` in a
 * copy of the tree without anything built (no web/dist, no .wrangler; node_modules linked), so
 * the deploy script itself must build the page. Fails past the gzip budget (scripts/lib/bundle.mjs).
 */
function bundleStep() {
	let clean = "";
	return {
		name: "bundle",
		command: ["npm", "run", "deploy", "--", "--dry-run", "--outdir", "dist"],
		cwd: () => {
			clean = cleanTree();
			return clean;
		},
		after: async () => {
			try {
				const report = await bundleReport(resolve(clean, "dist"));
				console.log(
					`bundle: ${report.files} files, ${report.rawKiB} KiB raw, ${report.gzipKiB} KiB gzip (budget ${report.budgetKiB} KiB gzip)`,
				);
				writeFileSync(`${results}/bundle.json`, JSON.stringify(report, null, 2));
				if (!report.withinBudget)
					throw new Error(`${report.gzipKiB} KiB gzipped is over the ${report.budgetKiB} KiB budget`);
			} finally {
				rmSync(clean, { recursive: true, force: true });
			}
		},
	};
}

/** Runs a project binary (node_modules/.bin), or npm itself (from PATH); its output goes to its log, printed at the end. */
function run(name, [bin, ...args], cwd) {
	const logFile = resolve(logs, `${name}.log`);
	const header = `\n▶ ${name}: ${bin} ${args.join(" ")}${cwd === root ? "" : ` (in ${cwd})`}`;
	return new Promise((resolvePromise) => {
		const out = createWriteStream(logFile);
		const child = spawn(bin === "npm" ? "npm" : resolve(root, "node_modules/.bin", bin), args, {
			cwd,
			stdio: ["ignore", "pipe", "pipe"],
			env: wranglerEnv({ FORCE_COLOR: "0" }),
		});
		child.stdout.pipe(out, { end: false });
		child.stderr.pipe(out, { end: false });
		const finish = (code) => {
			out.end(() => {
				console.log(header);
				process.stdout.write(readFileSync(logFile, "utf8"));
				resolvePromise(code);
			});
		};
		child.on("error", (error) => {
			out.write(`${name}: ${error.message}\n`);
			finish(1);
		});
		child.on("close", (code) => finish(code ?? 1));
	});
}

/** A copy of the source tree as a fresh clone has it: git's tracked and unignored files only. */
function cleanTree() {
	const dir = mkdtempSync(join(tmpdir(), "sparky-clean-"));
	const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root });
	for (const file of listed.toString().split("\0")) {
		if (!file || !existsSync(resolve(root, file))) continue;
		mkdirSync(dirname(resolve(dir, file)), { recursive: true });
		cpSync(resolve(root, file), resolve(dir, file));
	}
	symlinkSync(resolve(root, "node_modules"), resolve(dir, "node_modules"), "dir");
	return dir;
}

/** Counts from vitest's JSON report, and each failed test as "file › name: the error's first line". */
function countVitest(file) {
	const report = JSON.parse(readFileSync(file, "utf8"));
	const failures = [];
	for (const suite of report.testResults ?? []) {
		const where = suite.name ? suite.name.replace(`${root}/`, "") : "?";
		const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === "failed");
		for (const test of failedTests)
			failures.push(`${where} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
		// A file that failed to load has no tests, only its message.
		if (suite.status === "failed" && failedTests.length === 0) failures.push(`${where}: ${firstLine(suite.message)}`);
	}
	return { passed: report.numPassedTests, failed: report.numFailedTests, failures };
}

function firstLine(text) {
	const line =
		String(text ?? "")
			.trim()
			.split("\n")[0] ?? "";
	return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Deno's JUnit report: one testcase per describe block and one per `it` ("block > test"). */
function countJunitSteps(file) {
	if (!existsSync(file)) throw new Error(`${file} missing`);
	const xml = readFileSync(file, "utf8");
	const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].filter(([, n]) =>
		n.includes("&gt;"),
	);
	const failedCases = cases.filter(([, , body]) => /<failure/.test(body));
	const failures = failedCases.map(([, name]) => name.replaceAll("&gt;", ">").replaceAll("&amp;", "&"));
	return { passed: cases.length - failedCases.length, failed: failedCases.length, failures };
}
