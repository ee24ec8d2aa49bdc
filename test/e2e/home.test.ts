// The home screen starts something: a chat from its box or an example, a background task;
// on a phone "New chat" and "New task" sit in the header. The signed-in first load stays light.
import { describe, expect, inject, it } from "vitest";
import { getTask, userToken } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, usePage } from "./support/browser.ts";
import { sticksOut } from "./support/checks.ts";

let token = "";
const t = usePage(async () => {
	token = await userToken(`home-${Date.now().toString(36)}`);
	return token;
});

/** The id in the page's path after `/<kind>/`. */
const idInPath = (url: string, kind: string) =>
	new RegExp(`/${kind}/([A-Za-z0-9_-]+)$`).exec(new URL(url).pathname)?.[1];

describe("home", () => {
	it("offers a message box and examples the demo model answers", async () => {
		const page = t.page;
		await page.getByLabel("Ask Sparky").waitFor();
		const examples = await page.locator(".examples button").allTextContents();
		expect(examples.length).toBeGreaterThanOrEqual(3);
		expect(examples.length).toBeLessThanOrEqual(4);
		await screenshot(page, "home-desktop");
		// An example starts a chat with it as the first message; the demo model calls a real tool.
		await page.getByRole("button", { name: "What time is it?", exact: true }).click();
		await page.waitForURL(/\/chat\//);
		await expect
			.poll(() => page.locator(".timeline [data-kind=message]").first().textContent())
			.toContain("What time is it?");
		await page.locator(".timeline [data-kind=tool][data-state=done]").waitFor({ timeout: 15_000 });
		expect(await page.locator(".timeline [data-kind=tool]").first().textContent()).toContain("current_time");
	});

	it("starts a chat from the box with its first message", async () => {
		const page = t.page;
		await page.goto(inject("sparkyUrl"));
		await page.getByLabel("Ask Sparky").fill("List the files in my workspace");
		await page.getByLabel("Ask Sparky").press("Enter");
		await page.waitForURL(/\/chat\//);
		await page.locator(".timeline [data-kind=tool][data-state=done]").waitFor({ timeout: 15_000 });
		expect(await page.locator(".timeline [data-kind=tool]").first().textContent()).toContain("list_files");
		expect(await page.locator(".sidebar [data-chat-id]").count()).toBe(2);
	});

	it("runs the box's text as a background task, on top of the activity list", async () => {
		const page = t.page;
		await page.goto(inject("sparkyUrl"));
		await page.getByLabel("Ask Sparky").fill("Show my tasks");
		await page.getByRole("button", { name: "Run as background task" }).click();
		await page.waitForURL(/\/task\//);
		const id = idInPath(page.url(), "task") ?? "";
		expect((await getTask(token, id)).instruction).toBe("Show my tasks");
		expect(await page.locator(".sidebar [data-task-id]").first().getAttribute("data-task-id")).toBe(id);
		await page.locator(".final-status[data-status=succeeded]").waitFor({ timeout: 15_000 });
	});

	it("on a phone, New chat and New task are in the header, no drawer needed", async () => {
		const page = t.page;
		await page.setViewportSize(PHONE);
		await page.goto(`${inject("sparkyUrl")}/`);
		await page.locator(".conn[data-state=connected]").waitFor();
		expect(await page.locator("#sidebar").isVisible()).toBe(false);
		await screenshot(page, "home-phone");
		expect(await sticksOut(page, ".topbar, .home")).toEqual([]);
		const header = page.locator("header.topbar");
		const newTask = header.getByRole("button", { name: "New task" });
		const newChat = header.getByRole("button", { name: "New chat" });
		expect(await newTask.isVisible()).toBe(true);
		expect(await newChat.isVisible()).toBe(true);
		// Both inside the screen, nothing sideways.
		for (const button of [newTask, newChat]) {
			const box = await button.boundingBox();
			expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
		}
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		await page.locator(".examples button").first().waitFor();
		await newChat.click();
		await page.waitForURL(/\/chat\//);
		await page.getByLabel("Message").waitFor(); // the page renders on the next frame after the URL changes
		expect(await page.locator("#sidebar").isVisible()).toBe(false);
		await newTask.click();
		await page.waitForURL((url) => url.pathname === "/");
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("home-input");
		await page.setViewportSize(DESKTOP);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});

	it("a signed-in first load is at most 150 KB, all from Sparky itself", async () => {
		const browser = await launchChromium();
		try {
			// A cold cache, the token already saved: the first navigation is the signed-in page.
			const fresh = await openPage(browser);
			await fresh.context.addInitScript((saved) => localStorage.setItem("sparky.token", saved), token);
			await fresh.page.goto(inject("sparkyUrl"));
			await fresh.page.locator(".conn[data-state=connected]").waitFor();
			await fresh.page.getByLabel("Ask Sparky").waitFor();
			const bytes = await fresh.page.evaluate(() =>
				performance
					.getEntriesByType("navigation")
					.concat(performance.getEntriesByType("resource"))
					.reduce((sum, e) => sum + (e as PerformanceResourceTiming).transferSize, 0),
			);
			console.log(`signed-in first load: ${(bytes / 1024).toFixed(1)} KB transferred`);
			expect(bytes).toBeGreaterThan(10_000); // it measured something (the page's script at least)
			expect(bytes).toBeLessThanOrEqual(150 * 1024);
			expect(fresh.foreign).toEqual([]);
		} finally {
			await browser.close();
		}
	});
});
