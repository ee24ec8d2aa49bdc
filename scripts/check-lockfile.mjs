#!/usr/bin/env node
// `npm test`'s `lockfile` step: package-lock.json is in sync with package.json and complete for
// every platform, so `npm ci` passes anywhere and `npm install` changes nothing. Offline and
// fast; .ci/run also fails when `npm install` rewrote the lockfile (the registry's view).
//   - the lockfile's root entry has package.json's dependencies, devDependencies and engines;
//   - every dependency of every locked package (optional ones included: the native binaries
//     of other platforms, e.g. @cloudflare/workerd-darwin-arm64) resolves to a locked entry.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8"));
const packages = lock.packages ?? {};
const problems = [];

const same = (a = {}, b = {}) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
const top = packages[""] ?? {};
for (const field of ["dependencies", "devDependencies", "optionalDependencies", "engines"])
	if (!same(pkg[field], top[field])) problems.push(`root ${field} differ from package.json`);

/** Node's lookup: the nearest node_modules/<name> from `from` upwards. */
function resolves(from, name) {
	let dir = from;
	for (;;) {
		if (packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
		if (dir === "") return false;
		const cut = dir.lastIndexOf("/node_modules/");
		dir = cut >= 0 ? dir.slice(0, cut) : "";
	}
}
for (const [path, entry] of Object.entries(packages)) {
	if (entry.link) continue;
	const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.devDependencies };
	if (path !== "") for (const name of Object.keys(entry.devDependencies ?? {})) delete deps[name];
	for (const name of Object.keys(deps))
		if (!resolves(path, name)) problems.push(`${path || "(root)"} needs ${name}, which is not locked`);
}

if (problems.length) {
	console.error(`package-lock.json is stale or incomplete (${problems.length} problems):`);
	for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
	console.error("Fix: `npm install` (it records every platform's optional packages), then commit package-lock.json.");
	process.exit(1);
}
console.log(
	`package-lock.json: in sync with package.json, ${Object.keys(packages).length - 1} packages, every platform`,
);
