// Which Chromium the e2e tests drive, and how: Debian's (`apt-get install chromium`), never
// a downloaded one. A missing or broken Chromium is an error that says how to fix it.
import { existsSync } from "node:fs";
import { type Browser, type BrowserServer, chromium } from "playwright-core";

export const CHROMIUM = process.env.SPARKY_E2E_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
];

/**
 * One Chromium for a whole suite (its global setup starts it and puts its endpoint in
 * SPARKY_E2E_BROWSER_WS): each test file connects instead of launching its own, and gets its
 * own contexts (separate cookies and storage). `close()` on a connected browser closes the
 * file's contexts and disconnects; the browser goes on for the next file.
 */
export async function launchChromiumServer(): Promise<BrowserServer> {
	checkInstalled();
	try {
		return await chromium.launchServer({ executablePath: CHROMIUM, args: ARGS });
	} catch (error) {
		throw new Error(`Chromium at ${CHROMIUM} could not be launched: ${(error as Error).message}`);
	}
}

/**
 * The suite's shared Chromium when there is one (SPARKY_E2E_BROWSER_WS), else one of its own.
 * Each launch gets a fresh temporary profile (user-data dir) from Playwright.
 */
export async function launchChromium(): Promise<Browser> {
	const shared = process.env.SPARKY_E2E_BROWSER_WS;
	return shared ? chromium.connect(shared) : launchOwnChromium();
}

/** A Chromium of the caller's own, on this machine (downloads have a path; files go by path). */
export async function launchOwnChromium(): Promise<Browser> {
	checkInstalled();
	try {
		return await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	} catch (error) {
		throw new Error(`Chromium at ${CHROMIUM} could not be launched: ${(error as Error).message}`);
	}
}

function checkInstalled(): void {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium not found at ${CHROMIUM}: the e2e tests need it. Install it (apt-get install -y chromium; .ci/run does) or set SPARKY_E2E_CHROMIUM.`,
		);
	}
}
