#!/usr/bin/env node
// `npm start`: everything a fresh checkout needs to run Sparky locally.
//   1. a local admin token in .dev.vars (created once, shown once) and a key for stored secrets,
//   2. the local D1 migrated (`npm run migrate`: pending migrations, or an older database brought forward),
//   3. the web page built (web/ → web/dist, served by the Worker as static assets),
//   4. `wrangler dev` on 127.0.0.1:$PORT (default 8787), state under .wrangler/state, with the
//      settings set in the shell (SPARKY_*, OPENAI_BASE_URL, ANTHROPIC_BASE_URL) passed as
//      `--var`: they win over .dev.vars and wrangler.toml (secrets belong in .dev.vars).
import "./lib/node-check.mjs";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildWeb } from "./lib/build-web.mjs";
import { shellVars, shellVarsNotice } from "./lib/start-vars.mjs";
import { spawnWrangler } from "./lib/wrangler.mjs";
import { migrate } from "./migrate.mjs";

const root = resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
	console.error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
	process.exit(2);
}

ensureDevVars(resolve(root, ".dev.vars"));
try {
	await migrate([], { cwd: root });
} catch (error) {
	console.error(error.message);
	process.exit(1);
}
console.log("Building the web page (web/ → web/dist)…");
await buildWeb({ quiet: true });
console.log(`The page: http://127.0.0.1:${port} (sign in with a token; see README).`);

const fromShell = shellVars(process.env);
for (const line of shellVarsNotice(fromShell)) console.log(line);
const child = spawnWrangler(["dev", "--ip", "127.0.0.1", "--port", String(port), ...fromShell.args], { cwd: root });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));

/**
 * .dev.vars: the local admin token (created once, shown once to the person at the terminal,
 * never written into piped or redirected output, which is where logs are kept), the secrets
 * key and the local clock switch.
 */
function ensureDevVars(file) {
	let text = existsSync(file) ? readFileSync(file, "utf8") : "";
	const add = (line) => {
		text = `${text}${text && !text.endsWith("\n") ? "\n" : ""}${line}\n`;
	};
	// wrangler dev fires no Cron Triggers: run the minute tick from a Durable Object alarm.
	if (!/^SPARKY_LOCAL_CLOCK=/m.test(text)) add("SPARKY_LOCAL_CLOCK=on");
	// The key that encrypts MCP server header values at rest (made once; never shown).
	if (!/^SPARKY_SECRETS_KEY=.{32,}$/m.test(text)) {
		text = text.replace(/^SPARKY_SECRETS_KEY=.*\n?/m, "");
		add(`SPARKY_SECRETS_KEY=${randomBytes(32).toString("base64url")}`);
	}
	let created;
	if (!/^SPARKY_ADMIN_TOKEN=.{24,}$/m.test(text)) {
		created = `spk_admin_${randomBytes(32).toString("base64url")}`;
		text = text.replace(/^SPARKY_ADMIN_TOKEN=.*\n?/m, "");
		add(`SPARKY_ADMIN_TOKEN=${created}`);
	}
	writeFileSync(file, text, { mode: 0o600 });
	if (!created) {
		console.log("Admin token: SPARKY_ADMIN_TOKEN in .dev.vars (created on first start).");
		return;
	}
	// Shown once, on an interactive terminal only: output that goes to a pipe or a file is a log.
	const shown = process.stdout.isTTY
		? ["  Your admin token (shown once; sign in to the page with it):", "", `    ${created}`, ""]
		: ["  It is not printed here (this output is not a terminal: it may be a log); read it from the file:", ""];
	console.log(
		[
			"",
			"  A local admin token was created and stored in .dev.vars (git-ignored, mode 600).",
			...shown,
			"    grep SPARKY_ADMIN_TOKEN .dev.vars | cut -d= -f2",
			"",
			`  Try: curl -H "Authorization: Bearer $(grep SPARKY_ADMIN_TOKEN .dev.vars | cut -d= -f2)" http://127.0.0.1:${port}/api/me`,
			"",
		].join("\n"),
	);
}
