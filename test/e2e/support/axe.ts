// axe-core in the page: every rule it has, and the violations that matter (serious, critical).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeFinding {
	id: string;
	impact: string;
	help: string;
	/** The first few offending elements. */
	targets: string[];
}

interface AxeResults {
	violations: {
		id: string;
		impact?: string | null;
		help: string;
		nodes: { target: string[]; failureSummary?: string }[];
	}[];
	passes: unknown[];
	inapplicable: unknown[];
}

/**
 * Runs axe on the page as it is now (injected with addScriptTag: the page's context must be
 * opened with `bypassCSP`, its CSP allows no inline script). Returns serious and critical
 * violations, plus how many rules ran so a test can tell that axe really ran.
 */
export async function axeCheck(page: Page): Promise<{ serious: AxeFinding[]; rulesRun: number }> {
	if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
	return page.evaluate(async () => {
		const axe = (window as unknown as { axe: { run: (context: Document) => Promise<AxeResults> } }).axe;
		const results = await axe.run(document);
		const serious = results.violations
			.filter((v) => v.impact === "serious" || v.impact === "critical")
			.map((v) => ({
				id: v.id,
				impact: v.impact ?? "",
				help: v.help,
				targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} ${n.failureSummary ?? ""}`.trim()),
			}));
		return { serious, rulesRun: results.passes.length + results.violations.length + results.inapplicable.length };
	});
}
