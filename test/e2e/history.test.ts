// A long chat pages back through its history; chats can be renamed and deleted.
import { beforeAll, describe, expect, it } from "vitest";
import { api, userToken } from "./support/api.ts";
import { itemIds, signIn, usePage } from "./support/browser.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const t = usePage();
let bob: string;

beforeAll(async () => {
	bob = await userToken("bob");
});

const TURNS = 18; // 3 history rows each (message, tool call, answer): more than one 50-row page

describe("chat history", () => {
	// 18 turns run one after another: up to a minute on a loaded machine (the suite's 45 s is too short).
	it("loads earlier pages on demand, each item once and in order", { timeout: 120_000 }, async () => {
		const { chat } = await api<{ chat: { id: string } }>(bob, "POST", "/api/chats", { title: "Long chat" });
		for (let i = 1; i <= TURNS; i++) {
			await api(bob, "POST", `/api/chats/${chat.id}/messages`, { text: `Question ${i}: what time is it?` });
		}
		const deadline = Date.now() + 60_000;
		for (;;) {
			const { tasks } = await api<{ tasks: { status: string }[] }>(bob, "GET", "/api/tasks?kind=chat&limit=50");
			if (tasks.length === TURNS && tasks.every((x) => x.status === "succeeded")) break;
			if (Date.now() > deadline) throw new Error(`turns not done: ${JSON.stringify(tasks.map((x) => x.status))}`);
			await new Promise((r) => setTimeout(r, 250));
		}

		const page = t.page;
		await signIn(page, bob);
		await openFromSidebar(page, "chat", chat.id);
		const earlier = page.getByRole("button", { name: "Load earlier messages" });
		await earlier.waitFor();
		// A page is 50 history rows (messages and tool calls), with its turns' run lines and thoughts.
		await expect.poll(async () => (await itemIds(page, ["message", "tool"])).length).toBe(50);
		const firstPage = await itemIds(page);
		await earlier.click();
		await expect.poll(async () => (await itemIds(page, ["message", "tool"])).length).toBe(TURNS * 3);
		await expect.poll(() => page.locator(".load-earlier").count()).toBe(0); // the start is loaded
		const all = await itemIds(page);
		expect(new Set(all).size).toBe(all.length);
		expect(all.slice(-firstPage.length)).toEqual(firstPage);
		// Every turn kept its run line (time, tokens) and its two thoughts.
		expect(await itemIds(page, ["run"])).toHaveLength(TURNS);
		expect(await page.locator(".timeline [data-kind=run] .run-usage").count()).toBe(TURNS);
		expect(await itemIds(page, ["thought"])).toHaveLength(TURNS * 2);
		const users = await page.locator(".timeline [data-role=user]").allTextContents();
		expect(users.map((text) => Number(/Question (\d+)/.exec(text)?.[1]))).toEqual(
			Array.from({ length: TURNS }, (_, i) => i + 1),
		);
	});

	it("renames and deletes a chat", async () => {
		const page = t.page;
		await page.getByRole("button", { name: "Rename" }).click();
		await page.getByLabel("Chat title").fill("Times, many of them");
		await page.getByLabel("Chat title").press("Enter");
		await expect.poll(() => page.locator("#thread-title").textContent()).toBe("Times, many of them");
		await expect.poll(() => page.locator(".sidebar [aria-current=page]").textContent()).toContain("Times, many");
		page.once("dialog", (dialog) => void dialog.accept());
		await page.getByRole("button", { name: "Delete" }).click();
		await page.waitForURL((url) => url.pathname === "/");
		await expect.poll(() => page.locator(".sidebar a[data-chat-id]").count()).toBe(0);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
