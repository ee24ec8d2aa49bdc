// Accessibility basics in the signed-in page: labelled fields, focus order, readable badges,
// and a phone-width layout where the sidebar is a drawer.
import { describe, expect, it } from "vitest";
import { agent } from "./support/api.ts";
import { PHONE, usePage } from "./support/browser.ts";
import { contrastRatios, focused, unlabelledFields } from "./support/checks.ts";

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
		const ratios = await contrastRatios(page, "#badge-samples > *, .sidebar .badge, .conn");
		expect(ratios.length).toBeGreaterThanOrEqual(STATUSES.length + 5);
		for (const { text, ratio } of ratios) expect(ratio, text).toBeGreaterThanOrEqual(4.5);
		await page.evaluate(() => document.getElementById("badge-samples")?.remove());
	});

	it("on a phone the sidebar is a drawer behind a Menu button", async () => {
		const page = t.page;
		await page.setViewportSize(PHONE);
		const menu = page.getByRole("button", { name: "Menu" });
		expect(await menu.getAttribute("aria-expanded")).toBe("false");
		expect(await page.locator("#sidebar").isVisible()).toBe(false);
		expect(await page.getByLabel("Message").isVisible()).toBe(true);
		await menu.click();
		expect(await menu.getAttribute("aria-expanded")).toBe("true");
		expect(await page.locator("#sidebar").isVisible()).toBe(true);
		await page.locator(".sidebar a[data-chat-id]").first().click();
		expect(await page.locator("#sidebar").isVisible()).toBe(false);
		expect(await page.getByLabel("Message").isVisible()).toBe(true);
		// Nothing sticks out sideways.
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
