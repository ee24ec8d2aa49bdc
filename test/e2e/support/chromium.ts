// Which Chromium the e2e tests drive, and how: Debian's (`apt-get install chromium`), never
// a downloaded one. A missing or broken Chromium is an error that says how to fix it.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.SPARKY_E2E_CHROMIUM ?? "/usr/bin/chromium";

/** Each launch gets a fresh temporary profile (user-data dir) from Playwright. */
export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM}: the e2e tests need it. Install it (apt-get install -y chromium; .ci/run does) or set SPARKY_E2E_CHROMIUM.`,
		);
	}
	try {
		return await chromium.launch({
			executablePath: CHROMIUM,
			args: [
				"--headless",
				"--no-sandbox",
				"--disable-gpu",
				"--no-first-run",
				"--disable-background-networking",
				"--disable-component-update",
				"--disable-sync",
			],
		});
	} catch (error) {
		throw new Error(`Chromium at ${CHROMIUM} could not be launched: ${(error as Error).message}`);
	}
}
