// `npm start` and the shell: settings set in the shell (`SPARKY_HTTP_FETCH_ALLOW=127.0.0.1:3001
// npm start`) reach the Worker as `wrangler dev --var NAME:value`, which wins over .dev.vars and
// wrangler.toml's [vars] (wrangler itself reads no shell variables once .dev.vars exists).
// Secrets are not passed: a command line is visible to every local user (`ps`); they belong in
// .dev.vars, and the notice says so.

/** Settings that are not SPARKY_* but are read by the Worker (src/agent/models.ts). */
const OTHER_SETTINGS = ["OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"];
/** Secrets: never on a command line. */
const SECRETS = [
	"SPARKY_ADMIN_TOKEN",
	"SPARKY_SECRETS_KEY",
	"SPARKY_OPENAI_COMPAT_API_KEY",
	"ANTHROPIC_API_KEY",
	"OPENAI_API_KEY",
	"CLOUDFLARE_API_TOKEN",
];

/**
 * @param {Record<string, string | undefined>} env  the shell's environment
 * @returns {{ args: string[], passed: string[], secrets: string[] }} `--var` arguments for
 *   wrangler dev, the names passed, and the secrets found in the shell but not passed
 */
export function shellVars(env) {
	const args = [];
	const passed = [];
	const secrets = [];
	for (const name of Object.keys(env).sort()) {
		const value = env[name];
		if (value === undefined) continue;
		if (SECRETS.includes(name)) {
			// The provider keys are common in a shell for other tools: only Sparky's own are worth a word.
			if (name.startsWith("SPARKY_") || name.endsWith("_API_KEY")) secrets.push(name);
			continue;
		}
		if (!name.startsWith("SPARKY_") && !OTHER_SETTINGS.includes(name)) continue;
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
