// What every `wrangler dev` of a test run would otherwise redo at its own start (measured: about
// 3 s of esbuild and 1.3 s of a wrangler process for `d1 execute`, times some 40 servers a run):
//   - the Worker bundled once, the way wrangler dev bundles it (`npm test` starts one wrangler
//     dev first, keeps its bundle and names the folder in SPARKY_DEV_PREBUILT); each server then
//     runs that bundle as is (`no_bundle`), from a config derived from wrangler.toml with only
//     `main`, `no_bundle` and its relative paths changed. It is wrangler dev's bundle, not the
//     deploy one, because dev wraps the Worker in middleware that local runs depend on (it
//     drains a request body the Worker refused unread, so a browser sees the 413, not a reset);
//   - schema.sql applied once to a template state folder, copied into each new server's.
// Without SPARKY_DEV_PREBUILT (a suite run on its own), wrangler dev bundles as it always does.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runWrangler } from "./wrangler.mjs";

const root = resolve(import.meta.dirname, "../..");

/** Where `npm test` keeps wrangler dev's bundle, and the derived config beside it. */
export const PREBUILT_DIR = resolve(root, ".wrangler/prebuilt");

/**
 * The config a server should start with: the derived one when the Worker is prebuilt and
 * `config` is the project's wrangler.toml, else `config` itself.
 */
export function devConfig(config = "wrangler.toml") {
	const prebuilt = process.env.SPARKY_DEV_PREBUILT;
	if (!prebuilt || resolve(root, config) !== resolve(root, "wrangler.toml")) return config;
	const bundle = join(prebuilt, "index.js");
	if (!existsSync(bundle)) throw new Error(`SPARKY_DEV_PREBUILT is set but ${bundle} is missing`);
	const derived = join(prebuilt, "wrangler.toml");
	if (!existsSync(derived)) {
		const text = readFileSync(resolve(root, "wrangler.toml"), "utf8");
		if (!/^main = ".*"$/m.test(text)) throw new Error('wrangler.toml has no `main = "…"` line to replace');
		// Even with no_bundle, wrangler dev passes its entry through esbuild (to wrap it in its
		// middleware): 3.4 MB and its source map took 0.8 s of CPU at every start. So the entry is a
		// two-line module that re-exports the bundle, which goes as an additional module, as is.
		const worker = join(prebuilt, "worker");
		mkdirSync(worker, { recursive: true });
		const code = readFileSync(bundle, "utf8").replace(
			/\/\/# sourceMappingURL=index\.js\.map\s*$/,
			"//# sourceMappingURL=bundle.mjs.map\n",
		);
		writeWhole(join(worker, "bundle.mjs"), code);
		if (existsSync(`${bundle}.map`)) writeWhole(join(worker, "bundle.mjs.map"), readFileSync(`${bundle}.map`));
		writeWhole(join(worker, "entry.mjs"), 'export * from "./bundle.mjs";\nexport { default } from "./bundle.mjs";\n');
		const entry = join(worker, "entry.mjs");
		const out = text
			.replace(
				/^main = ".*"$/m,
				`main = ${JSON.stringify(entry)}\nno_bundle = true\nrules = [{ type = "ESModule", globs = ["**/*.mjs"] }]`,
			)
			// Paths in wrangler.toml are relative to it; the derived config lives elsewhere.
			.replaceAll('"./', `"${root}/`);
		writeWhole(derived, out);
	}
	return derived;
}

/** Servers start side by side: a file is written whole, then renamed into place. */
function writeWhole(file, data) {
	const temporary = `${file}.${process.pid}.tmp`;
	writeFileSync(temporary, data);
	renameSync(temporary, file);
}

/**
 * Gives a new state folder the schema: copied from a template made once per schema.sql and
 * config (the first server of a run makes it). A folder that has a database already (a server
 * started again on its state) is left as it is.
 */
export async function seedState(persistTo, config = "wrangler.toml") {
	if (existsSync(join(persistTo, "v3", "d1"))) return;
	const key = createHash("sha256")
		.update(readFileSync(resolve(root, "schema.sql")))
		.update(readFileSync(resolve(root, config)))
		.digest("hex")
		.slice(0, 16);
	const template = join(tmpdir(), `sparky-d1-template-${key}`);
	if (!existsSync(template)) {
		const building = mkdtempSync(`${template}-building-`);
		await runWrangler(
			["d1", "execute", "DB", "--local", "--file", "schema.sql", "-c", config, "--persist-to", building],
			{
				cwd: root,
				quiet: true,
			},
		);
		try {
			renameSync(building, template);
		} catch {
			// Another server of this run made it first: theirs is the same.
			rmSync(building, { recursive: true, force: true });
		}
	}
	cpSync(template, persistTo, { recursive: true });
}
