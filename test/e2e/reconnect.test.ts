// The connection comes and goes (offline, a socket closed under the page): the page says so,
// reconnects, resumes from the last seq it saw, and the timeline has no gap and no double.
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import {
	admin,
	agent,
	createTask,
	expectedTimeline,
	normalise,
	release,
	visibleText,
	waitForTask,
} from "./support/api.ts";
import { itemIds, shownText, usePage } from "./support/browser.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const t = usePage(agent);

const sockets = (page: Page) =>
	page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.map((s) => s.url));

async function expectWholeRun(page: Page, taskId: string) {
	const expected = await expectedTimeline(agent(), taskId);
	// The agent's hub is paced: its last events may land just after the status the page shows.
	await expect.poll(() => itemIds(page)).toEqual(expected.ids);
	for (const [id, text] of expected.texts) {
		expect(normalise(await shownText(page, id))).toBe(visibleText(text));
	}
}

/** Opens a task that is held mid-run (its first tool call waits for `key`). */
async function openHeldTask(page: Page, key: string) {
	const task = await createTask(admin(), `Fetch ${inject("pageUrl")}/slow.html?key=${key} and list files`);
	await openFromSidebar(page, "task", task.id);
	await expect.poll(() => page.locator(".timeline [data-kind=tool]").getAttribute("data-state")).toBe("running");
	return task;
}

describe("reconnecting", () => {
	it("offline and back: what happened meanwhile arrives, nothing missing or doubled", async () => {
		const page = t.page;
		const task = await openHeldTask(page, "offline-1");
		const before = await sockets(page);

		await t.context.setOffline(true);
		await page.locator(".conn[data-state=offline]").waitFor();
		// The rest of the run happens while the page can't hear it…
		await release("offline-1");
		await waitForTask(admin(), task.id, ["succeeded"]);
		// …and another task starts and ends.
		const other = await createTask(admin(), "What time is it?");
		await waitForTask(admin(), other.id, ["succeeded"]);
		expect(await page.locator(".final-status[data-status=succeeded]").count()).toBe(0);

		await t.context.setOffline(false);
		await page.locator(".conn[data-state=connected]").waitFor({ timeout: 15_000 });
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expectWholeRun(page, task.id);
		// The new socket resumed from a cursor (never a full replay from 0).
		const after = await sockets(page);
		expect(after.length).toBeGreaterThan(before.length);
		expect(new URL(after.at(-1) ?? "").searchParams.get("since")).toMatch(/^[1-9]\d*$/);
		// The task that ran while offline is listed with its final status.
		const link = page.locator(`.sidebar a[data-task-id="${other.id}"]`);
		await expect.poll(() => link.locator(".badge").textContent()).toBe("succeeded");
		await link.click();
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expectWholeRun(page, other.id);
	});

	it("a socket closed under the page: it reconnects and resumes without a gap", async () => {
		const page = t.page;
		const task = await openHeldTask(page, "drop-1");
		const count = (await sockets(page)).length;
		await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)?.close());
		await page.locator(".conn[data-state=reconnecting]").waitFor();
		await release("drop-1");
		await page.locator(".conn[data-state=connected]").waitFor({ timeout: 15_000 });
		expect((await sockets(page)).length).toBe(count + 1);
		await waitForTask(admin(), task.id, ["succeeded"]);
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expectWholeRun(page, task.id);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
