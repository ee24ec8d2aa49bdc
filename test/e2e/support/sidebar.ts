// Opening a chat or task the way a person does: by its link in the sidebar.
import type { Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Clicks the sidebar's link to a chat or task (the first one listed when no id is given) and
 * waits until the page is there; returns its id. The sidebar re-orders as live events arrive:
 * a click whose press and release land on different rows goes nowhere, and Playwright doesn't
 * retry it (seen under load). So it clicks once, as a person does (even on the thread already
 * open: that closes the phone's drawer), then again while the page is elsewhere.
 */
export async function openFromSidebar(page: Page, kind: "chat" | "task", id?: string): Promise<string> {
	const attribute = `data-${kind}-id`;
	const chosen = id ?? (await page.locator(`.sidebar a[${attribute}]`).first().getAttribute(attribute));
	if (!chosen) throw new Error(`no ${kind} in the sidebar`);
	const path = `/${kind}/${chosen}`;
	const link = page.locator(`.sidebar a[${attribute}="${chosen}"]`);
	const here = () => page.evaluate(() => location.pathname);
	await link.click();
	await expect
		.poll(async () => {
			if ((await here()) !== path) {
				// On a phone, a click that opened another thread closed the drawer: open it again.
				if (!(await link.isVisible()))
					await page
						.getByRole("button", { name: "Menu" })
						.click({ timeout: 5_000 })
						.catch(() => undefined);
				await link.click({ timeout: 5_000 }).catch(() => undefined);
			}
			return here();
		})
		.toBe(path);
	return chosen;
}
