// The activity list as the `agent` user watches it: creation order that holds while tasks run,
// creators and relative times, server-side search and filters, and "Load more".
import { describe, expect, inject, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { admin, agent, api, createTask, release, userToken, waitForTask } from "./support/api.ts";
import { PHONE, screenshot, usePage } from "./support/browser.ts";

const t = usePage(agent);
const stamp = Date.now().toString(36);
const rowIds = () =>
	t.page.locator(".sidebar a[data-task-id]").evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id")));

describe("the activity list", () => {
	let alice = "";
	let aliceSlowTask = "";
	const aliceId = `alice-${stamp}`;

	it("keeps creation order while tasks run and finish, with creators and relative times", async () => {
		const page = t.page;
		alice = await userToken(aliceId);
		const key = `order-${stamp}`;
		const slow = await createTask(alice, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
		aliceSlowTask = slow.id;
		await waitForTask(alice, slow.id, ["running"]);
		const quick = await createTask(admin(), "What time is it?");
		await expect.poll(async () => (await rowIds()).slice(0, 2)).toEqual([quick.id, slow.id]);
		await waitForTask(admin(), quick.id, ["succeeded"]);
		await release(key);
		await waitForTask(alice, slow.id, ["succeeded"]);
		const row = page.locator(`.sidebar a[data-task-id="${slow.id}"]`);
		await expect.poll(() => row.locator(".badge").textContent()).toBe("succeeded");
		// The slow one finished last: it keeps its place under the newer task.
		expect((await rowIds()).slice(0, 2)).toEqual([quick.id, slow.id]);
		expect(await row.locator(".creator").textContent()).toBe(`by ${aliceId}`);
		const time = row.locator("time");
		expect(await time.textContent()).toMatch(/^(just now|\d+ min ago)$/);
		expect(await time.getAttribute("title")).toMatch(/\d{4}/);
		expect(await time.getAttribute("datetime")).toBe(new Date(slow.created_at).toISOString());
		await screenshot(page, "activity-desktop");
	});

	it("searches the instruction on the server and filters by creator and kind", async () => {
		const page = t.page;
		const needle = `zebra${stamp}`;
		const match = await createTask(alice, `Say hello to the ${needle} please`);
		await createTask(admin(), "Say hello to the giraffe please");
		const chat = (await api<{ chat: { id: string } }>(alice, "POST", "/api/chats", { title: "turns" })).chat;
		await api(alice, "POST", `/api/chats/${chat.id}/messages`, { text: `What time is it, ${needle}?` });

		const searched = page.waitForRequest((r) => r.url().includes(`q=${needle}`));
		await page.getByLabel("Search tasks").fill(needle);
		await searched;
		await expect.poll(rowIds).toEqual([match.id]);

		await page.getByLabel("Kind").selectOption("all");
		await expect.poll(async () => (await rowIds()).length).toBe(2);
		const turnRow = page.locator(".sidebar a[data-task-id]").first();
		expect(await turnRow.locator(".kind-tag").textContent()).toBe("chat");
		expect((await rowIds())[1]).toBe(match.id);

		await page.getByLabel("Search tasks").fill("");
		await page.getByLabel("Kind").selectOption("task");
		await page.getByLabel("Creator").fill(aliceId);
		await page.getByLabel("Creator").press("Enter");
		await expect
			.poll(async () => new Set(await page.locator(".sidebar .creator").allTextContents()))
			.toEqual(new Set([`by ${aliceId}`]));
		// Both filters applied (the chat turn, also alice's, is gone) and the page read, not the
		// rows of the filters before it, before the list is compared below.
		// Alice's two background tasks, newest first: this test's and the first test's.
		await expect.poll(rowIds).toEqual([match.id, aliceSlowTask]);
		await expect.poll(() => page.getByRole("list", { name: "Tasks" }).getAttribute("aria-busy")).toBe("false");
		// Not a user id: said so, and the list stays as it was.
		const shown = await rowIds();
		await page.getByLabel("Creator").fill("Not A User!");
		await page.getByLabel("Creator").press("Enter");
		await page.getByText("Not a user id").waitFor();
		expect(await page.getByLabel("Creator").getAttribute("aria-invalid")).toBe("true");
		expect(await rowIds()).toEqual(shown);
		await page.getByLabel("Creator").fill("");
		await page.getByLabel("Creator").press("Enter");
	});

	it("pages on with Load more, without repeats", async () => {
		const page = t.page;
		const pagerId = `pager-${stamp}`;
		const pager = await userToken(pagerId);
		const made: Task[] = [];
		for (let i = 0; i < 32; i++) made.push(await createTask(pager, `Page item ${i} of ${pagerId}`));
		await page.getByLabel("Creator").fill(pagerId);
		await page.getByLabel("Creator").press("Enter");
		await expect.poll(async () => (await rowIds()).length).toBe(30);
		const more = page.getByRole("button", { name: "Load more" });
		await more.click();
		await expect.poll(async () => (await rowIds()).length).toBe(32);
		const ids = await rowIds();
		const newestFirst = [...made].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
		expect(ids).toEqual(newestFirst.map((task) => task.id));
		expect(await more.count()).toBe(0);
		// Leave no backlog in the queue for the files that follow.
		await Promise.all(made.map((task) => api(pager, "POST", `/api/tasks/${task.id}/cancel`).catch(() => undefined)));
		await page.setViewportSize(PHONE);
		await page.getByRole("button", { name: "Menu" }).click();
		await screenshot(page, "activity-phone-drawer");
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		await page.getByRole("button", { name: "Menu" }).click();
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
