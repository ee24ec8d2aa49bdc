// Signed in as `agent`: tasks appear, run and finish live; a reload mid-task shows the whole
// run exactly once; a running task can be cancelled.
import { describe, expect, inject, it } from "vitest";
import {
	admin,
	agent,
	api,
	createTask,
	expectedTimeline,
	normalise,
	release,
	visibleText,
	waitForTask,
} from "./support/api.ts";
import { DESKTOP, itemIds, PHONE, screenshot, shownText, usePage } from "./support/browser.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const t = usePage(agent);

/** The open task's timeline matches its stored events: same items, same order, full texts. */
async function expectWholeRun(taskId: string) {
	const expected = await expectedTimeline(agent(), taskId);
	// The agent's hub is paced: its last events may land just after the status the page shows.
	await expect.poll(() => itemIds(t.page)).toEqual(expected.ids);
	const ids = await itemIds(t.page);
	expect(new Set(ids).size).toBe(ids.length);
	for (const [id, text] of expected.texts) {
		expect(normalise(await shownText(t.page, id))).toBe(visibleText(text));
	}
}

describe("tasks, watched as agent", () => {
	it("shows a new task's tool call, result and completion live", async () => {
		const page = t.page;
		const key = "live-1";
		const instruction = `Fetch ${inject("pageUrl")}/slow.html?key=${key}`;
		await page.getByLabel("New task").fill(instruction);
		await page.getByLabel("New task").press("Enter");
		await page.waitForURL(/\/task\/task_/);
		const taskId = page.url().split("/").at(-1) ?? "";

		const tool = page.locator(".timeline [data-kind=tool]");
		await tool.locator("code.tool-name", { hasText: "http_fetch" }).waitFor();
		await expect.poll(() => tool.getAttribute("data-state")).toBe("running");
		await expect.poll(() => tool.locator(".code-block").first().textContent()).toContain("slow.html");
		const link = page.locator(`.sidebar a[data-task-id="${taskId}"]`);
		await expect.poll(() => link.locator(".badge").textContent()).toBe("running");
		await screenshot(page, "task-running-desktop");
		await page.setViewportSize(PHONE);
		await screenshot(page, "task-running-phone");
		await page.setViewportSize(DESKTOP);

		await release(key);
		await expect.poll(() => tool.getAttribute("data-state"), { timeout: 15_000 }).toBe("done");
		expect(await tool.locator(".code-block").nth(1).textContent()).toContain("Slow page live-1");
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expect.poll(() => link.locator(".badge").textContent()).toBe("succeeded");
		await expect.poll(() => page.locator(".timeline [data-kind=run]").getAttribute("data-state")).toBe("succeeded");
		expect(await page.locator(".timeline [data-kind=run]").textContent()).toMatch(/tokens/);
		await screenshot(page, "task-done-desktop");
		await expectWholeRun(taskId);
	});

	it("after a reload mid-task shows the whole run once (another user's task, other hub seqs)", async () => {
		const page = t.page;
		// Push the creator's hub seqs far past the agent hub's, so a merge by seq would misorder.
		for (let i = 0; i < 10; i++) {
			await Promise.all(
				Array.from({ length: 30 }, () =>
					api(admin(), "POST", "/api/users/admin/events", { name: "sparky.notice", value: "padding" }),
				),
			);
		}
		const key = "reload-1";
		const task = await createTask(
			admin(),
			`Fetch ${inject("pageUrl")}/slow.html?key=${key} and tell me what time is it`,
		);
		// From the sidebar, not a page load: the slow page holds the fetch 8 s at most, and
		// everything up to the second "running" below must happen inside that.
		await openFromSidebar(page, "task", task.id);
		const tool = page.locator(".timeline [data-kind=tool]").first();
		await expect.poll(() => tool.getAttribute("data-state")).toBe("running");
		// The run is held at the slow fetch: once the page shows everything stored so far (the
		// agent's socket brings the summary, the thought and arguments follow from the creator's
		// stream), the snapshot is the whole run up to here.
		const sofar = (await expectedTimeline(agent(), task.id)).ids;
		await expect.poll(() => itemIds(page)).toEqual(sofar);
		const before = await itemIds(page);

		await page.reload();
		await page.locator(".conn[data-state=connected]").waitFor();
		await expect.poll(() => tool.getAttribute("data-state")).toBe("running");
		await expect.poll(() => itemIds(page)).toEqual(before);

		await release(key);
		await waitForTask(admin(), task.id, ["succeeded"]);
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expect.poll(() => page.locator(".timeline [data-kind=tool]").count()).toBe(2);
		await expectWholeRun(task.id);
	});

	it("cancels a running task", async () => {
		const page = t.page;
		const key = "cancel-1";
		// The agent user watches every task but changes only its own (issue #14): it made this one.
		const task = await createTask(agent(), `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
		await openFromSidebar(page, "task", task.id);
		await expect.poll(() => page.locator(".timeline [data-kind=tool]").getAttribute("data-state")).toBe("running");
		await page.getByRole("button", { name: "Cancel task" }).click();
		await page.locator(".final-status[data-status=cancelled]").waitFor({ timeout: 15_000 });
		await expect.poll(() => page.locator(".timeline [data-kind=run]").getAttribute("data-state")).toBe("cancelled");
		expect(await page.getByRole("button", { name: "Cancel task" }).count()).toBe(0);
		await release(key);
	});

	it("cuts long tool output, with a button that shows the rest", async () => {
		const page = t.page;
		const task = await createTask(admin(), `Fetch ${inject("pageUrl")}/long.html`);
		await openFromSidebar(page, "task", task.id);
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		// Steps are folded to one line: open it to read the result.
		await page.locator(".timeline [data-kind=tool] summary").click();
		const result = page.locator(".timeline [data-kind=tool] .tool-result .code-block");
		await result.waitFor();
		expect(await result.locator("code").textContent()).not.toContain("Line 120 of a long page.");
		const more = result.getByRole("button", { name: /Show more/ });
		expect(await more.getAttribute("aria-expanded")).toBe("false");
		await more.click();
		await expect.poll(() => result.locator("code").textContent()).toContain("Line 120 of a long page.");
		await result.getByRole("button", { name: "Show less" }).click();
		await expect.poll(() => result.locator("code").textContent()).not.toContain("Line 120 of a long page.");
	});

	it("marks a task that changed while it wasn't open with a dot, until it is opened (and after a reload)", async () => {
		const page = t.page;
		const task = await createTask(admin(), "What time is it?");
		const done = await waitForTask(admin(), task.id, ["succeeded"]);
		const link = page.locator(`.sidebar a[data-task-id="${task.id}"]`);
		await expect.poll(() => link.getAttribute("data-unread")).toBe("true");
		expect(await link.locator(".unread-dot").count()).toBe(1);
		expect(await link.locator(".unread").count()).toBe(0); // a dot, not a number of events
		await link.click();
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		// The sidebar re-renders with the open task (its own update, not the view's).
		await expect.poll(() => link.getAttribute("data-unread")).toBeNull();
		expect(await link.locator(".unread-dot").count()).toBe(0);
		// The page keeps "seen" in localStorage once it has drawn the open task: reload after that.
		const seenAt = () =>
			page.evaluate((id) => {
				const key = Object.keys(localStorage).find((k) => k.startsWith("sparky.seen."));
				return (JSON.parse(localStorage.getItem(key ?? "") ?? "{}") as { seen?: Record<string, number> }).seen?.[id];
			}, task.id);
		await expect.poll(async () => (await seenAt()) ?? 0).toBeGreaterThanOrEqual(done.updated_at);
		await page.goto(inject("sparkyUrl"));
		await page.locator(".conn[data-state=connected]").waitFor();
		await link.waitFor();
		expect(await link.getAttribute("data-unread")).toBeNull();
	});

	it("filters the activity list by status", async () => {
		const page = t.page;
		await page.getByLabel("Status").selectOption("cancelled");
		await expect
			.poll(() => page.locator(".sidebar [data-task-id] .badge").allTextContents())
			.not.toContain("succeeded");
		const badges = await page.locator(".sidebar [data-task-id] .badge").allTextContents();
		expect(badges.length).toBeGreaterThan(0);
		expect(new Set(badges)).toEqual(new Set(["cancelled"]));
		await page.getByLabel("Status").selectOption("");
		await expect.poll(() => page.locator(".sidebar [data-task-id]").count()).toBeGreaterThanOrEqual(3);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
