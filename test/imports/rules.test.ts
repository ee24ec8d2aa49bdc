// The import rules (.dependency-cruiser.cjs, docs/architecture.md "The parts") can fail: a scratch
// copy of src/, web/src and cli/ gets one import of each kind the rules forbid, and each is
// reported under its rule's name; the tree as it is passes. Plain Node: `npm run test:imports`.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Violation {
	from: string;
	to: string;
	rule: { name: string; severity: string };
	cycle?: unknown[];
}
interface Cruise {
	summary: { violations: Violation[]; error: number; totalCruised: number };
}

/** Runs the check as `npm run lint:imports` does, in `cwd`, and returns its JSON report. */
function cruise(cwd: string): Promise<Cruise> {
	const args = [join(root, "scripts/depcruise.mjs"), "--config", ".dependency-cruiser.cjs", "--output-type", "json"];
	// In the scratch copy node_modules is a symlink to the project's: keep its paths as they are.
	args.push("--preserve-symlinks", "src", "web/src", "cli");
	return new Promise((done, fail) => {
		// It exits non-zero when it finds errors; the report is on stdout either way.
		execFile(process.execPath, args, { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
			try {
				done(JSON.parse(stdout) as Cruise);
			} catch {
				fail(new Error(`dependency-cruiser gave no report (${error?.message ?? "no error"}):\n${stderr}`));
			}
		});
	});
}

/** The scratch files: path → source. Each breaks one rule (two for the first). */
const SCRATCH: Record<string, string> = {
	// Storage reaching up into the HTTP layer: its allow-list, and "domain code never imports routes".
	"src/storage/zz-scratch.ts": 'import tasks from "../routes/tasks.ts";\nexport const x = tasks;\n',
	// The wire's words importing a web framework.
	"src/protocol/zz-scratch.ts": 'import { Hono } from "hono";\nexport const x = Hono;\n',
	// The hub knowing the application, by a type only: type-only imports count.
	"src/hub/zz-scratch.ts": 'import type { Deps } from "../deps.ts";\nexport type X = Deps;\n',
	// A circle, one half of it type-only.
	"src/client/zz-a.ts": 'import { b } from "./zz-b.ts";\nexport const a = () => b;\n',
	"src/client/zz-b.ts": 'import type { a } from "./zz-a.ts";\nexport const b: typeof a | null = null;\n',
	// A part the table doesn't know.
	"src/zz-new/thing.ts": 'import { newId } from "../protocol/index.ts";\nexport const x = newId;\n',
	// The page reaching past src/client into a service.
	"web/src/zz-scratch.ts": 'import { createTask } from "../../src/tasks/service.ts";\nexport const x = createTask;\n',
};

describe("import rules", () => {
	let scratch: string;
	let broken: Promise<Cruise>;
	let clean: Promise<Cruise>;

	beforeAll(() => {
		scratch = mkdtempSync(join(tmpdir(), "sparky-imports-"));
		for (const path of ["src", "web/src", "cli", "tsconfig.json", ".dependency-cruiser.cjs"])
			cpSync(join(root, path), join(scratch, path), { recursive: true });
		symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"), "dir");
		for (const [path, source] of Object.entries(SCRATCH)) {
			mkdirSync(dirname(join(scratch, path)), { recursive: true });
			writeFileSync(join(scratch, path), source);
		}
		// Both at once: each is a few seconds of one core.
		broken = cruise(scratch);
		clean = cruise(root);
	});
	afterAll(() => rmSync(scratch, { recursive: true, force: true }));

	it("pass on the tree as it is", async () => {
		const report = await clean;
		expect(report.summary.totalCruised).toBeGreaterThan(200);
		expect(report.summary.violations).toEqual([]);
	});

	it("report each forbidden import under its rule", async () => {
		const found = (await broken).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
		expect(found).toEqual(
			expect.arrayContaining([
				"layer-storage: src/storage/zz-scratch.ts → src/routes/tasks.ts",
				"domain-not-http: src/storage/zz-scratch.ts → src/routes/tasks.ts",
				expect.stringMatching(/^protocol-packages: src\/protocol\/zz-scratch\.ts → node_modules\/hono\//),
				"layer-hub: src/hub/zz-scratch.ts → src/deps.ts",
				"unlisted-part: src/zz-new/thing.ts → src/protocol/index.ts",
				"web-imports: web/src/zz-scratch.ts → src/tasks/service.ts",
			]),
		);
		const circles = found.filter((v) => v.startsWith("no-circular: src/client/zz-"));
		expect(circles.length).toBeGreaterThan(0);
		// Nothing else: the copy is otherwise the clean tree.
		expect(found.every((v) => v.includes("zz-"))).toBe(true);
	});
});
