// Following a thread without seeing it: a polite live region says when an answer is done and
// how a task ended; focus goes to the thread's title on arrival, back to the Menu button when
// the phone drawer closes; chats that start alike still have names that tell them apart.
import { describe, expect, inject, it } from "vitest";
import { api, createTask, release, userToken } from "./support/api.ts";
import { DESKTOP, PHONE, screenshot, usePage } from "./support/browser.ts";
import { focused } from "./support/checks.ts";
import { openFromSidebar } from "./support/sidebar.ts";

let erin: string;
const t = usePage(async () => {
	erin = await userToken(`erin-${Math.random().toString(36).slice(2, 7)}`);
	return erin;
});

const live = () => t.page.locator("[data-live-region]");

async function sameChats(count: number, text: string): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const { chat } = await api<{ chat: { id: string } }>(erin, "POST", "/api/chats", {});
		await api(erin, "POST", `/api/chats/${chat.id}/messages`, { text });
		ids.push(chat.id);
	}
	return ids;
}

describe("following a thread", () => {
	it("gives four chats with the same first message names that tell them apart", async () => {
		const page = t.page;
		const ids = await sameChats(4, "What time is it?");
		await page.reload();
		const names = page.locator(".sidebar a[data-chat-id] .side-title");
		await expect.poll(() => names.count()).toBe(4);
		await expect.poll(async () => (await names.allTextContents()).every((n) => n !== "New chat")).toBe(true);
		const shown = await names.allTextContents();
		expect(new Set(shown).size).toBe(4);
		for (const name of shown) expect(name.startsWith("What time is it? · ")).toBe(true);
		expect(ids).toHaveLength(4);
		await screenshot(page, "chat-names-desktop");
	});

	it("moves focus to the chat's title on arrival, and says when an answer is done", async () => {
		const page = t.page;
		// The four chats above answer meanwhile, and each answer re-renders and re-orders the
		// sidebar: a click while it moves can press one link and release on none (no navigation,
		// focus left on the link: seen under load). Click once they have all answered (and
		// openFromSidebar clicks again should one still go nowhere).
		const ended = new Set(["succeeded", "failed", "cancelled"]);
		await expect
			.poll(async () => {
				const { tasks } = await api<{ tasks: { status: string }[] }>(erin, "GET", "/api/tasks?kind=chat&limit=100");
				return tasks.length >= 4 && tasks.every((task) => ended.has(task.status));
			})
			.toBe(true);
		await openFromSidebar(page, "chat");
		await expect.poll(() => focused(page)).toBe("#thread-title");
		expect(await live().getAttribute("aria-live")).toBe("polite");
		await page.getByLabel("Message").fill("What time is it now?");
		await page.getByLabel("Message").press("Enter");
		await expect.poll(() => live().textContent(), { timeout: 15_000 }).toMatch(/^Sparky answered: It is /);
		// The turn ends after its last words (its status follows): no Stop button once it has.
		await expect.poll(() => page.getByRole("button", { name: "Stop", exact: true }).count()).toBe(0);
	});

	it("moves focus to a task's title on arrival, and says how the open task ended", async () => {
		const page = t.page;
		const key = "a11y-live-task";
		const task = await createTask(erin, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
		await openFromSidebar(page, "task", task.id);
		await expect.poll(() => focused(page)).toBe("#thread-title");
		await expect.poll(() => page.locator(".timeline [data-kind=tool]").getAttribute("data-state")).toBe("running");
		expect(await live().textContent()).not.toMatch(/^Task /);
		await release(key);
		await expect
			.poll(() => live().textContent(), { timeout: 15_000 })
			.toMatch(/^Task succeeded: Fetch http:\/\/127\.0\.0\.1:\d+\/slow/);
	});

	it("says when a tool call waits for an approval", async () => {
		const page = t.page;
		await page.goto(inject("sparkyUrl"));
		await page.locator(".conn[data-state=connected]").waitFor();
		await createTask(erin, "Delete README.md");
		await expect
			.poll(() => live().textContent(), { timeout: 15_000 })
			.toMatch(/^Approval needed: delete_file waits for a decision\.\s?$/);
	});

	it("on a phone, closing the drawer with Escape puts focus back on the Menu button", async () => {
		const page = t.page;
		await page.setViewportSize(PHONE);
		const menu = page.getByRole("button", { name: "Menu" });
		await menu.click();
		await page.locator("#sidebar").waitFor({ state: "visible" });
		await page.locator(".sidebar a[data-chat-id]").first().focus();
		await page.keyboard.press("Escape");
		// The page re-renders after the key (a frame or two later on a loaded machine).
		await expect.poll(() => page.locator("#sidebar").isVisible()).toBe(false);
		expect(await menu.getAttribute("aria-expanded")).toBe("false");
		expect(await focused(page)).toBe("button:Menu");
		// Closed by Menu itself: focus stays there too. Choosing a chat: the chat's title.
		await menu.click();
		await page.locator("#sidebar").waitFor({ state: "visible" });
		await menu.click();
		await expect.poll(() => page.locator("#sidebar").isVisible()).toBe(false);
		expect(await focused(page)).toBe("button:Menu");
		await menu.click();
		await openFromSidebar(page, "chat");
		await expect.poll(() => focused(page)).toBe("#thread-title");
		await page.setViewportSize(DESKTOP);
		expect(t.errors).toEqual([]);
	});
});
