// Runs the project's own wrangler with the runtime that runs this script: the `node`
// devDependency under npm scripts (so a machine with an older system Node still works), or
// Deno under `deno task start`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
// wrangler's package.json exports no bin path; find the package root and join.
const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/**
 * Quiet, offline-friendly defaults: no telemetry, and no fetch of `request.cf`'s sample data
 * from workers.cloudflare.com at each start (offline it printed `getaddrinfo ENOTFOUND
 * workers.cloudflare.com`; Sparky reads nothing from `request.cf`). wrangler's own update
 * check asks npm quietly and says nothing when offline.
 */
export const wranglerEnv = (extra = {}) => ({
	// Node's compile cache (the folder `sparky`'s own enableCompileCache() uses): wrangler is one
	// large script that Node compiled again at each start (measured: 0.15-0.45 s of CPU less per
	// `wrangler dev` or `wrangler d1 execute`, some fifty a test run).
	NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache"),
	...process.env,
	WRANGLER_SEND_METRICS: "false",
	WRANGLER_HIDE_BANNER: "true",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	...extra,
});

/** Under Deno (`deno task start`), wrangler runs on Deno's Node compatibility, with every permission. */
const runtimeArgs = "Deno" in globalThis ? ["run", "--allow-all"] : [];

/** `detached`: its own process group, so the whole tree (wrangler + workerd) can be signalled. */
export function spawnWrangler(args, { cwd, env, stdio = "inherit", detached = false } = {}) {
	return spawn(process.execPath, [...runtimeArgs, wranglerBin, ...args], {
		cwd,
		env: wranglerEnv(env),
		stdio,
		detached,
	});
}

/** Runs wrangler to completion with its output captured: its exit code, stdout, and stdout and stderr together. */
export function captureWrangler(args, { cwd, env } = {}) {
	return new Promise((resolvePromise, reject) => {
		const child = spawnWrangler(args, { cwd, env, stdio: "pipe" });
		let stdout = "";
		let output = "";
		child.stdout.on("data", (chunk) => {
			stdout += chunk;
			output += chunk;
		});
		child.stderr.on("data", (chunk) => (output += chunk));
		child.on("error", reject);
		child.on("exit", (code) => resolvePromise({ code, stdout, output }));
	});
}

/** Runs wrangler to completion; rejects with its output when it fails. */
export async function runWrangler(args, { cwd, env, quiet = false } = {}) {
	if (quiet) {
		const { code, output } = await captureWrangler(args, { cwd, env });
		if (code !== 0) throw new Error(`wrangler ${args.join(" ")} exited ${code}\n${output}`);
		return output;
	}
	return new Promise((resolvePromise, reject) => {
		const child = spawnWrangler(args, { cwd, env });
		child.on("error", reject);
		child.on("exit", (code) =>
			code === 0 ? resolvePromise("") : reject(new Error(`wrangler ${args.join(" ")} exited ${code}`)),
		);
	});
}
