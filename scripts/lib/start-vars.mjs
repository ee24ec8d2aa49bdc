// `npm start` and the shell: settings set in the shell (`SPARKY_HTTP_FETCH_ALLOW=127.0.0.1:3001
// npm start`) reach the Worker as `wrangler dev --var NAME:value`, which wins over .dev.vars and
// wrangler.toml's [vars] (wrangler itself reads no shell variables once .dev.vars exists).
// Secrets are not passed: a command line is visible to every local user (`ps`); they belong in
// .dev.vars, and the notice says so.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** Secrets: never on a command line. A name that looks like one (token, key, secret, password) counts too. */
const SECRETS = [
	"SPARKY_ADMIN_TOKEN",
	"SPARKY_SECRETS_KEY",
	"SPARKY_OPENAI_COMPAT_API_KEY",
	"ANTHROPIC_API_KEY",
	"OPENAI_API_KEY",
	"CLOUDFLARE_API_TOKEN",
];
const looksSecret = (name) => SECRETS.includes(name) || /TOKEN|KEY|SECRET|PASSWORD/.test(name);
/** Read by the Worker but meant for the test suites only (fault injection): never from a shell. */
const TEST_HOOKS = ["SPARKY_FAILPOINTS"];

/**
 * The settings the Worker reads, by name: those its config schema, its environment's type and
 * wrangler.toml's [vars] name. Only these are passed: a shell holds other `SPARKY_*` names
 * (the CLI's SPARKY_URL and SPARKY_TOKEN) that are no setting of the Worker's.
 */
export function workerSettings(dir = root) {
	const names = new Set();
	for (const file of ["src/config.ts", "src/env.d.ts", "src/agent/models.ts", "wrangler.toml"]) {
		const text = readFileSync(resolve(dir, file), "utf8");
		for (const [name] of text.matchAll(/\b(?:SPARKY_[A-Z0-9_]+|OPENAI_BASE_URL|ANTHROPIC_BASE_URL)\b/g))
			names.add(name);
	}
	for (const name of [...names]) if (looksSecret(name) || TEST_HOOKS.includes(name)) names.delete(name);
	return names;
}

/**
 * @param {Record<string, string | undefined>} env  the shell's environment
 * @param {Set<string>} [settings]  the names the Worker reads (workerSettings())
 * @returns {{ args: string[], passed: string[], secrets: string[] }} `--var` arguments for
 *   wrangler dev, the names passed, and the secrets found in the shell but not passed
 */
export function shellVars(env, settings = workerSettings()) {
	const args = [];
	const passed = [];
	const secrets = [];
	for (const name of Object.keys(env).sort()) {
		const value = env[name];
		if (value === undefined) continue;
		if (looksSecret(name)) {
			// The provider keys are common in a shell for other tools: only Sparky's own are worth a word.
			if (SECRETS.includes(name) && (name.startsWith("SPARKY_") || name.endsWith("_API_KEY"))) secrets.push(name);
			continue;
		}
		if (!settings.has(name)) continue;
		args.push("--var", `${name}:${value}`);
		passed.push(name);
	}
	return { args, passed, secrets };
}

/** What `npm start` prints about them (nothing when there are none). */
export function shellVarsNotice({ passed, secrets }) {
	const lines = [];
	if (passed.length > 0) lines.push(`Settings from the shell (they win over .dev.vars): ${passed.join(", ")}.`);
	if (secrets.length > 0) {
		lines.push(
			`Not passed from the shell: ${secrets.join(", ")} (secrets stay off the command line, where \`ps\` shows them): put ${secrets.length > 1 ? "them" : "it"} in .dev.vars (NAME=value, one a line) and start again.`,
		);
	}
	return lines;
}
