// The sidebar with a long task list: Settings (and Admin) sit on top, reached without
// scrolling past the tasks, on a desktop and in the phone's drawer.
import { describe, expect, inject, it } from "vitest";
import { createTask, userToken } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn } from "./support/browser.ts";

describe("the sidebar with many tasks", () => {
	it("has Settings in view without scrolling, on a desktop and a phone", async () => {
		const token = await userToken(`many-${Date.now().toString(36)}`);
		// More tasks than the screen holds (30: the task rate's burst, no waiting).
		for (let i = 0; i < 30; i++) await createTask(token, `What time is it? (${i + 1})`);
		const browser = await launchChromium();
		try {
			for (const viewport of [DESKTOP, PHONE]) {
				const { page } = await openPage(browser, viewport);
				await signIn(page, token);
				if (viewport === PHONE) await page.getByRole("button", { name: "Menu" }).click();
				const sidebar = page.locator(".sidebar");
				await expect.poll(() => sidebar.locator("a[data-task-id]").count()).toBeGreaterThanOrEqual(20);
				// The list is longer than the screen: reaching anything below it would mean scrolling.
				expect(await sidebar.evaluate((el) => el.scrollHeight > window.innerHeight)).toBe(true);
				const settings = page.getByRole("link", { name: "Settings", exact: true });
				const box = await settings.boundingBox();
				expect(box && box.y >= 0 && box.y + box.height <= viewport.height).toBe(true);
				expect(await sidebar.evaluate((el) => el.scrollTop)).toBe(0);
				await screenshot(page, `sidebar-many-tasks-${viewport === PHONE ? "phone" : "desktop"}`);
				await settings.click();
				await page.waitForURL(`${inject("sparkyUrl")}/settings`);
				await page.context().close();
			}
		} finally {
			await browser.close();
		}
	});
});
