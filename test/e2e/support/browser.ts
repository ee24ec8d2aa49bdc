// Pages in Debian's Chromium, driven by playwright-core: sign-in, screenshots, timeline items.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";
import { launchChromium, launchOwnChromium } from "./chromium.ts";

export { launchChromium };

export const DESKTOP = { width: 1366, height: 850 };
export const PHONE = { width: 390, height: 844 };
export const SCREENSHOTS = resolve(import.meta.dirname, "../../../screenshots");

export interface TestPage {
	context: BrowserContext;
	page: Page;
	/** Every request the page made to anything but Sparky itself (must stay empty). */
	foreign: string[];
	/** Errors thrown in the page, and Content-Security-Policy violations. */
	errors: string[];
}

/**
 * A page in a new context. An init script records the page's WebSockets (`window.__sockets`)
 * so a test can close one under the app.
 */
export interface PageOptions {
	colorScheme?: "light" | "dark";
	/** Only for injecting axe-core (an inline script the page's CSP rightly refuses). */
	bypassCSP?: boolean;
}

export async function openPage(browser: Browser, viewport = DESKTOP, options: PageOptions = {}): Promise<TestPage> {
	const base = new URL(inject("sparkyUrl"));
	// Clipboard permissions: the copy buttons are tested by reading what they copied.
	const context = await browser.newContext({
		viewport,
		colorScheme: options.colorScheme ?? "light",
		bypassCSP: options.bypassCSP ?? false,
		permissions: ["clipboard-read", "clipboard-write"],
	});
	await context.addInitScript(() => {
		const w = window as unknown as { __sockets: WebSocket[]; WebSocket: typeof WebSocket };
		w.__sockets = [];
		const Native = w.WebSocket;
		w.WebSocket = class extends Native {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(url, protocols);
				w.__sockets.push(this);
			}
		};
	});
	const page = await context.newPage();
	const foreign: string[] = [];
	const errors: string[] = [];
	page.on("request", (request) => {
		const url = new URL(request.url());
		if (url.protocol !== "data:" && url.host !== base.host) foreign.push(request.url());
	});
	page.on("pageerror", (error) => errors.push(error.message));
	// The page's Content-Security-Policy allows this origin only: a violation is a bug.
	page.on("console", (message) => {
		if (message.type() === "error" && /Content Security Policy/i.test(message.text())) errors.push(message.text());
	});
	return { context, page, foreign, errors };
}

/**
 * One page for a test file, in the suite's shared Chromium (or one of its own with `ownBrowser`:
 * a file that reads downloads from disk or hands Chromium large files by path): opened before
 * its first test (and signed in when `token` is given), closed after its last. The returned
 * object is filled in by then.
 */
export function usePage(
	token?: () => string | Promise<string>,
	{ ownBrowser = false }: { ownBrowser?: boolean } = {},
): TestPage {
	let browser: Browser | undefined;
	const t = {} as TestPage;
	beforeAll(async () => {
		browser = ownBrowser ? await launchOwnChromium() : await launchChromium();
		Object.assign(t, await openPage(browser));
		if (token) await signIn(t.page, await token());
	});
	afterAll(async () => {
		await browser?.close();
	});
	return t;
}

/** Signs in through the form and waits for the live connection. */
export async function signIn(page: Page, token: string): Promise<void> {
	await page.goto(inject("sparkyUrl"));
	await page.getByLabel("API token").fill(token);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.locator(".conn[data-state=connected]").waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
	mkdirSync(SCREENSHOTS, { recursive: true });
	await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`) });
}

/**
 * The text a message shows: in its item, or, for a task's answer, in the Result on top (its
 * item in the steps only points there: the answer is shown once).
 */
export async function shownText(page: Page, id: string): Promise<string> {
	const answer = (await page.locator(`[data-item-id="${id}"]`).getAttribute("data-kind")) === "answer";
	const where = answer ? ".task-result .result-text" : `[data-item-id="${id}"] .message-text`;
	return (await page.locator(where).textContent()) ?? "";
}

/** data-item-id of the timeline's items on the page, in order (optionally only some kinds). */
export function itemIds(page: Page, kinds?: string[]): Promise<string[]> {
	return page.locator(".timeline [data-item-id]").evaluateAll(
		(els, only) =>
			els
				.map((e) => (e as HTMLElement).dataset)
				.filter((d) => !only || only.includes(d.kind ?? ""))
				.map((d) => d.itemId ?? ""),
		kinds,
	);
}

/** Each timeline item's data attributes as `key=value …` lines: what a failed test prints of the page. */
export function timelineItems(page: Page): Promise<string[]> {
	return page.locator(".timeline [data-item-id]").evaluateAll((els) =>
		els.map((e) =>
			Object.entries((e as HTMLElement).dataset)
				.map(([k, v]) => `${k}=${v}`)
				.join(" "),
		),
	);
}
