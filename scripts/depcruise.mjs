#!/usr/bin/env node
// `npm run lint:imports`: dependency-cruiser (its own command line, arguments passed on) with
// TypeScript 5 as its parser. dependency-cruiser parses .ts/.tsx with the `typescript` package's
// compiler API, which the project's TypeScript 7 (native, `tsc` only) no longer has, so it would
// silently skip every .ts file. The devDependency `typescript-5` (npm:typescript@5.x) is handed
// to dependency-cruiser alone, by a module hook; everything else still gets TypeScript 7.
// The rules are in .dependency-cruiser.cjs; docs/architecture.md says what they enforce.
import * as nodeModule from "node:module";

if (typeof nodeModule.registerHooks !== "function") {
	console.error(`scripts/depcruise.mjs needs Node >= 22.15 (module.registerHooks); this is ${process.version}.`);
	console.error("Run it through npm (`npm run lint:imports`), which puts the project's Node on PATH.");
	process.exit(2);
}
nodeModule.registerHooks({
	resolve(specifier, context, nextResolve) {
		if (
			(specifier === "typescript" || specifier.startsWith("typescript/")) &&
			context.parentURL?.includes("/node_modules/dependency-cruiser/")
		)
			return nextResolve(specifier.replace(/^typescript/, "typescript-5"), context);
		return nextResolve(specifier, context);
	},
});

await import("../node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
