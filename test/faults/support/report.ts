import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const dir = resolve(import.meta.dirname, "../../../test-results/faults");

/** Prints a scenario's figures and keeps them for docs/reliability.md. */
export function report(name: string, figures: Record<string, unknown>): void {
	const lines = Object.entries(figures).map(([k, v]) => `  ${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
	console.log(`\n[faults] ${name}\n${lines.join("\n")}`);
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		resolve(dir, `${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`),
		JSON.stringify(figures, null, 2),
	);
}
