// Accessibility basics in the signed-in page: labelled fields, focus order, readable badges,
// and a phone-width layout where the sidebar is a drawer. Then axe-core on every screen, in
// light and dark: no serious or critical violation.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { admin, agent, createTask, waitForTask } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { contrastRatios, focused, unlabelledFields } from "./support/checks.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const t = usePage(agent);

const STATUSES = [
	"waiting",
	"queued",
	"running",
	"succeeded",
	"failed",
	"cancelled",
	"retrying",
	"calling",
	"done",
	"error",
	"pending",
];

describe("accessibility basics", () => {
	it("labels every input, textarea and select", async () => {
		const page = t.page;
		await page.getByRole("button", { name: "New chat" }).click();
		await page.getByLabel("Message").waitFor();
		expect(await unlabelledFields(page)).toEqual([]);
		await page.getByRole("button", { name: "Rename" }).click();
		await page.getByLabel("Chat title").waitFor();
		expect(await unlabelledFields(page)).toEqual([]);
		await page.getByLabel("Chat title").press("Escape");
	});

	it("tabs through the page in reading order: header, sidebar, then the chat", async () => {
		const page = t.page;
		await page.locator(".brand").click(); // start from the top of the page
		const order: string[] = [];
		for (let i = 0; i < 150 && !order.includes("#composer-input"); i++) {
			await page.keyboard.press("Tab");
			order.push(await focused(page));
		}
		const at = (what: string) => order.indexOf(what);
		expect(at("button:Sign out")).toBeGreaterThanOrEqual(0);
		expect(at("button:New chat")).toBeGreaterThan(at("button:Sign out"));
		expect(at("#new-task-input")).toBeGreaterThan(at("button:New chat"));
		expect(at("#task-filter")).toBeGreaterThan(at("#new-task-input"));
		expect(at("#composer-input")).toBeGreaterThan(at("#task-filter"));
		// Every step lands on something visible with a focus ring.
		await page.keyboard.press("Tab");
		const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
		expect(outline).not.toBe("none");
	});

	it("status badges, the connection indicator and unread counts have at least 4.5:1 contrast", async () => {
		const page = t.page;
		await page.evaluate((statuses) => {
			const box = document.createElement("div");
			box.id = "badge-samples";
			for (const status of statuses) {
				const badge = document.createElement("span");
				badge.className = `badge status-${status}`;
				badge.textContent = status;
				box.append(badge);
			}
			for (const state of ["connecting", "connected", "reconnecting", "offline"]) {
				const conn = document.createElement("span");
				conn.className = `conn conn-${state}`;
				conn.textContent = state;
				box.append(conn);
			}
			const unread = document.createElement("span");
			unread.className = "unread";
			unread.textContent = "3";
			box.append(unread);
			document.body.append(box);
		}, STATUSES);
		// In the light scheme and the dark one (the page follows the system's).
		for (const colorScheme of ["light", "dark"] as const) {
			await page.emulateMedia({ colorScheme });
			const ratios = await contrastRatios(page, "#badge-samples > *, .sidebar .badge, .conn");
			expect(ratios.length).toBeGreaterThanOrEqual(STATUSES.length + 5);
			for (const { text, ratio } of ratios) expect(ratio, `${colorScheme} ${text}`).toBeGreaterThanOrEqual(4.5);
		}
		await page.emulateMedia({ colorScheme: "light" });
		await page.evaluate(() => document.getElementById("badge-samples")?.remove());
	});

	it("on a phone the sidebar is a drawer behind a Menu button", async () => {
		const page = t.page;
		await page.setViewportSize(PHONE);
		const menu = page.getByRole("button", { name: "Menu" });
		expect(await menu.getAttribute("aria-expanded")).toBe("false");
		expect(await page.locator("#sidebar").isVisible()).toBe(false);
		expect(await page.getByLabel("Message").isVisible()).toBe(true);
		// The page re-renders a frame after each change: polled.
		await menu.click();
		await expect.poll(() => menu.getAttribute("aria-expanded")).toBe("true");
		await expect.poll(() => page.locator("#sidebar").isVisible()).toBe(true);
		await openFromSidebar(page, "chat");
		await expect.poll(() => page.locator("#sidebar").isVisible()).toBe(false);
		await expect.poll(() => page.getByLabel("Message").isVisible()).toBe(true);
		// Nothing sticks out sideways.
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});

describe("axe-core on every screen", () => {
	let browser: Browser | undefined;
	beforeAll(async () => {
		browser = await launchChromium();
	});
	afterAll(async () => {
		await browser?.close();
	});

	/** axe ran (many rules) and found nothing serious or critical on this screen. */
	async function expectClean(page: Page, screen: string) {
		const { serious, rulesRun } = await axeCheck(page);
		expect(rulesRun, screen).toBeGreaterThan(30);
		expect(serious, screen).toEqual([]);
	}

	it("would notice: a low-contrast paragraph is a serious violation", async () => {
		if (!browser) throw new Error("no browser");
		const { page, context } = await openPage(browser, DESKTOP, { bypassCSP: true });
		await page.goto(inject("sparkyUrl"));
		await page.getByLabel("API token").waitFor();
		await page.evaluate(() => {
			const p = document.createElement("p");
			p.textContent = "Barely readable";
			p.style.cssText = "color: #999; background: #aaa";
			document.body.append(p);
		});
		const { serious } = await axeCheck(page);
		expect(serious.map((f) => f.id)).toContain("color-contrast");
		await context.close();
	});

	for (const scheme of ["light", "dark"] as const) {
		it(`${scheme}: sign-in, home, chat, task, approval, settings, usage, admin, phone drawer`, async () => {
			if (!browser) throw new Error("no browser");
			const { page, errors } = await openPage(browser, DESKTOP, { colorScheme: scheme, bypassCSP: true });
			const shot = (name: string) => screenshot(page, `axe-${scheme}-${name}`);
			await page.goto(inject("sparkyUrl"));
			await page.getByLabel("API token").waitFor();
			// The system's scheme is followed: a dark page has a dark background, and back.
			const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
			const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number);
			if (scheme === "dark") expect(r + g + b, background).toBeLessThan(120);
			else expect(r + g + b, background).toBeGreaterThan(600);
			await expectClean(page, "sign-in");
			await shot("sign-in");

			await signIn(page, admin());
			await page.locator(".examples button").first().waitFor();
			await expectClean(page, "home");
			await shot("home");

			await page.getByRole("button", { name: "What time is it?", exact: true }).click();
			await page.waitForURL(/\/chat\//);
			await page.locator(".timeline [data-kind=tool]").first().waitFor({ timeout: 20_000 });
			await expect.poll(() => page.locator(".timeline [data-kind=message]").count(), { timeout: 20_000 }).toBe(2);
			await expectClean(page, "chat");
			await shot("chat");

			const task = await createTask(admin(), "What time is it?");
			await waitForTask(admin(), task.id, ["succeeded"]);
			await openFromSidebar(page, "task", task.id);
			await page.locator(".final-status[data-status=succeeded]").waitFor();
			await expectClean(page, "task");
			await shot("task");

			const waiting = await createTask(admin(), "Delete README.md");
			await waitForTask(admin(), waiting.id, ["awaiting_approval"]);
			await openFromSidebar(page, "task", waiting.id);
			await page.locator(".approval-card[data-status=pending]").waitFor();
			await expectClean(page, "approval");
			await shot("approval");

			await page.getByRole("link", { name: "Settings", exact: true }).click();
			await page.getByRole("heading", { name: "MCP servers" }).waitFor();
			await expectClean(page, "settings");
			await shot("settings");

			// The Usage panel with figures (the tasks above ran with the test price), its chart's
			// table opened, and everyone's usage (an admin).
			await page.getByRole("link", { name: "Usage", exact: true }).click();
			await page.locator(".usage-chart svg rect").first().waitFor();
			await page.locator("table[data-by=user]").waitFor();
			await page.locator(".budget-facts").waitFor();
			await page.locator(".usage-chart summary").click();
			await expectClean(page, "usage");
			await shot("usage");

			await page.getByRole("link", { name: "Admin", exact: true }).click();
			await page.locator("[data-user-id=agent]").waitFor();
			await page.getByTestId("agent-model").waitFor();
			// A user opened: their budget and tokens.
			await page.locator("[data-user-id=agent]").getByRole("button", { name: "agent", exact: true }).click();
			await page.locator("[data-user-budget=agent] .budget-spent").waitFor();
			await expectClean(page, "admin");
			await shot("admin");

			await page.setViewportSize(PHONE);
			await page.getByRole("button", { name: "Menu" }).click();
			await page.locator("#sidebar").waitFor();
			await expectClean(page, "phone drawer");
			await shot("phone-drawer");
			expect(errors).toEqual([]);
		});
	}
});
