// What runs cost, on the page (issue #26): the Usage panel's chart and tables say what
// `GET /api/usage` says, a task's model calls show their tokens and cost in the run view, a
// budget approval asks in money and can be allowed, a spent day budget is said in words, and an
// admin sets a user's caps. Global setup gives the demo model a price (SPARKY_MODEL_PRICES).
import { describe, expect, it } from "vitest";
import { formatUsd } from "../../src/client/money.ts";
import type { Approval, BudgetStatus, ModelCallUsage, Task, UsageReport, WireEvent } from "../../src/protocol/index.ts";
import { admin, api, userToken, waitForTask } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { sticksOut } from "./support/checks.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const userId = `spender-${Date.now().toString(36)}`;
let token: string;
const t = usePage(async () => {
	token = await userToken(userId);
	return token;
});

type TaskView = Task & { approvals: Approval[] };
const view = async (id: string) => (await api<{ task: TaskView }>(token, "GET", `/api/tasks/${id}`)).task;
const newTask = async (instruction: string, extra: Record<string, unknown> = {}) =>
	(await api<{ task: Task }>(token, "POST", "/api/tasks", { instruction, allow_duplicates: true, ...extra })).task;
const usageEvents = async (taskId: string) =>
	(await api<{ events: WireEvent[] }>(token, "GET", `/api/tasks/${taskId}/events`)).events
		.filter((e) => e.type === "CUSTOM" && e.name === "sparky.usage")
		.map((e) => e.value as ModelCallUsage);

/** The panel's query for the last 30 days (its default): the same `since` the page computes. */
const since30 = () => {
	const day = 86_400_000;
	return Math.floor(Date.now() / day) * day - 29 * day;
};

describe("what runs cost, on the page", () => {
	let first: Task;

	it("a task's model calls show their tokens and cost where they ended; the task its total", async () => {
		const page = t.page;
		first = await newTask("What time is it?");
		const done = await waitForTask(token, first.id, ["succeeded"]);
		expect(done.usage.cost_usd).toBeGreaterThan(0);
		const calls = await usageEvents(first.id);
		expect(calls.length).toBeGreaterThanOrEqual(2); // the tool call, then the answer

		await page.goto(`${new URL(page.url()).origin}/task/${first.id}`);
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		const lines = page.locator(".timeline [data-kind=usage]");
		await expect.poll(() => lines.count()).toBe(calls.length);
		for (const [i, call] of calls.entries()) {
			const line = lines.nth(i);
			expect(await line.getAttribute("data-step")).toBe(String(call.step));
			expect(await line.locator(".call-cost").textContent()).toBe(formatUsd(call.cost_usd));
			expect(await line.locator(".call-tokens").textContent()).toBe(
				`${(call.input_tokens + call.output_tokens).toLocaleString("en-US")} tokens (${call.input_tokens.toLocaleString("en-US")} in, ${call.output_tokens.toLocaleString("en-US")} out)`,
			);
		}
		// The first call (the tool call) is shown after the tool call it made, before its result's answer.
		const kinds = await page
			.locator(".timeline [data-item-id]")
			.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.kind));
		expect(kinds.indexOf("usage")).toBeGreaterThan(kinds.indexOf("tool"));
		// The run's line sums its calls; the head and the end say the task's total.
		const total = formatUsd(done.usage.cost_usd);
		expect(await page.locator(".timeline [data-kind=run] .run-cost").textContent()).toBe(total);
		expect(await page.locator(".task-head .task-cost").textContent()).toBe(total);
		expect(await page.locator(".final-status .final-cost").textContent()).toBe(total);
		await screenshot(page, "usage-run-view");
	});

	it("a budget approval asks in money; Allow lets the task go on", async () => {
		const page = t.page;
		// The first call's estimate is 500 output tokens ($0.50 at the test price): over $0.30, so it asks first.
		const task = await newTask("What time is it?", { max_cost_usd: 0.3 });
		await waitForTask(token, task.id, ["awaiting_approval"]);
		const [pending] = (await view(task.id)).approvals;
		expect(pending).toMatchObject({ kind: "budget", status: "pending" });

		await openFromSidebar(page, "task", task.id);
		const card = page.locator(".approval-card");
		await card.waitFor();
		expect(await card.getAttribute("data-approval-id")).toBe(pending?.id);
		expect(await card.locator(".approval-title").textContent()).toBe("Budget reached");
		// (Read-only until the page knows the viewer may decide: GET /api/tasks/:id's can_decide.)
		await expect
			.poll(() => card.locator("[role=status]").textContent())
			.toBe("Spent $0.00 of $0.30. Allow $0.30 more?");
		expect(await card.locator(".code-block").count()).toBe(0);
		expect(await page.locator(".final-status").textContent()).toContain("spent its budget");
		await screenshot(page, "usage-budget-approval");

		await card.getByRole("button", { name: "Allow $0.30 more" }).click();
		await expect.poll(() => card.getAttribute("data-status")).toBe("approved");
		expect(await card.locator("[role=status]").textContent()).toMatch(
			new RegExp(`^Allowed \\$0\\.30 more by you \\(${userId}\\) at `),
		);
		const done = await waitForTask(token, task.id, ["succeeded", "failed"]);
		expect(done.status).toBe("succeeded");
		expect((await view(task.id)).approvals[0]).toMatchObject({ kind: "budget", status: "approved" });
		await page.locator(".final-status[data-status=succeeded]").waitFor();
	});

	it("a budget approval's Stop ends the task", async () => {
		const page = t.page;
		const task = await newTask("What time is it?", { max_cost_usd: 0.3 });
		await waitForTask(token, task.id, ["awaiting_approval"]);
		await openFromSidebar(page, "task", task.id);
		const card = page.locator(`.approval-card[data-status=pending]`);
		await card.waitFor();
		await card.getByRole("button", { name: "Stop the task" }).click();
		await expect.poll(() => page.locator(".approval-card").getAttribute("data-status")).toBe("denied");
		expect(await page.locator(".approval-card .badge").textContent()).toBe("stopped");
		const done = await waitForTask(token, task.id, ["succeeded", "failed"]);
		expect(done.status).toBe("failed");
		expect(done.error).toMatch(/^stopped: the task spent \$0\.00 of its budget of \$0\.30/);
	});

	it("the Usage panel: a chart and tables whose figures are GET /api/usage's", async () => {
		const page = t.page;
		await page.getByRole("link", { name: "Usage", exact: true }).click();
		await page.waitForURL(/\/usage$/);
		await page.getByRole("heading", { name: "Usage", level: 2 }).waitFor();
		await page.locator(".usage-chart").waitFor();
		const q = `since=${since30()}`;
		const days = await api<UsageReport>(token, "GET", `/api/usage?by=day&${q}`);
		const models = await api<UsageReport>(token, "GET", `/api/usage?by=model&${q}`);
		const tasks = await api<UsageReport>(token, "GET", `/api/usage?by=task&limit=10&${q}`);
		expect(days.total.cost_usd).toBeGreaterThan(0);

		// Totals.
		expect(await page.locator("[data-field=total-cost]").textContent()).toBe(formatUsd(days.total.cost_usd));
		expect(await page.locator("[data-field=total-calls]").textContent()).toBe(String(days.total.calls));
		expect(await page.locator("[data-field=total-runs]").textContent()).toBe(String(days.total.runs));
		// The chart plots dollars (every call had a price): one bar per day with calls, of that day's cost.
		const chart = page.locator(".usage-chart");
		expect(await chart.getAttribute("data-metric")).toBe("cost");
		const bars = await chart
			.locator("svg rect")
			.evaluateAll((els) => els.map((e) => [e.getAttribute("data-day"), Number(e.getAttribute("data-value"))]));
		expect(bars).toEqual(days.rows.filter((r) => (r.cost_usd ?? 0) > 0).map((r) => [r.key, r.cost_usd]));
		// Its text alternative: a label that sums it up, and the figures as a table.
		expect(await chart.locator("svg").getAttribute("role")).toBe("img");
		expect(await chart.locator("svg").getAttribute("aria-label")).toContain(`${formatUsd(days.total.cost_usd)} in all`);
		await chart.locator("summary").click();
		for (const row of days.rows) {
			expect(await chart.locator(`tr[data-day="${row.key}"] td[data-label=Cost]`).textContent()).toBe(
				formatUsd(row.cost_usd),
			);
		}
		// By model: the demo model, its calls and cost.
		const demo = models.rows.find((r) => r.key === "demo");
		const modelRow = page.locator('table[data-by=model] tr[data-key="demo"]');
		expect(await modelRow.locator("td[data-label=Cost]").textContent()).toBe(formatUsd(demo?.cost_usd));
		expect(await modelRow.locator('td[data-label="Model calls"]').textContent()).toBe(String(demo?.calls));
		// Top tasks by cost, in the API's order, each a link to its task.
		const taskRows = page.locator("table[data-by=task] tbody tr");
		expect(await taskRows.evaluateAll((els) => els.map((e) => e.getAttribute("data-key")))).toEqual(
			tasks.rows.map((r) => r.key),
		);
		const firstRow = page.locator(`table[data-by=task] tr[data-key="${first.id}"]`);
		expect(await firstRow.locator("td[data-label=Cost]").textContent()).toBe(
			formatUsd(tasks.rows.find((r) => r.key === first.id)?.cost_usd),
		);
		// A user sees no one else's (no table by user).
		expect(await page.locator("table[data-by=user]").count()).toBe(0);
		// Their own budget: no caps here, what they spent today.
		const budget = await api<BudgetStatus>(token, "GET", "/api/me/budget");
		expect(await page.locator("[data-field=budget-day]").textContent()).toContain(
			`${formatUsd(budget.day.spent_usd)} spent, no cap`,
		);
		await screenshot(page, "usage-panel-desktop");

		await firstRow.getByRole("link").click();
		await page.waitForURL(new RegExp(`/task/${first.id}$`));
		await page.locator(".task-head").waitFor();
	});

	it("the period selector asks again; the panel fits a phone", async () => {
		const page = t.page;
		await page.getByRole("link", { name: "Usage", exact: true }).click();
		await page.locator(".usage-chart").waitFor();
		await page.getByLabel("Period").selectOption("7");
		await expect.poll(() => page.locator(".usage-chart svg").getAttribute("aria-label")).toMatch(/^Cost per day, /);
		// Seven days: seven slots (a bar only where something was spent), and the figures the same.
		const q = `since=${since30() + 23 * 86_400_000}`;
		const week = await api<UsageReport>(token, "GET", `/api/usage?by=day&${q}`);
		await expect.poll(() => page.locator("[data-field=total-cost]").textContent()).toBe(formatUsd(week.total.cost_usd));
		await page.setViewportSize(PHONE);
		expect(await sticksOut(page, ".panel")).toEqual([]);
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		await screenshot(page, "usage-panel-phone");
		await page.setViewportSize(DESKTOP);
		expect(t.errors).toEqual([]);
		expect(t.foreign).toEqual([]);
	});

	it("an admin sets a user's day cap; past it, a new task is refused in words that name the cap", async () => {
		const browser = await launchChromium();
		try {
			const { page, errors } = await openPage(browser);
			await signIn(page, admin());
			// Everyone's usage, by user: this user's row says what the API says.
			await page.getByRole("link", { name: "Usage", exact: true }).click();
			await page.locator("table[data-by=user]").waitFor();
			const users = await api<UsageReport>(admin(), "GET", `/api/usage?by=user&since=${since30()}`);
			const mine = users.rows.find((r) => r.key === userId);
			expect(await page.locator(`table[data-by=user] tr[data-key="${userId}"] td[data-label=Cost]`).textContent()).toBe(
				formatUsd(mine?.cost_usd),
			);

			// The budget editor is in Admin, on the user.
			await page.getByRole("link", { name: "Admin", exact: true }).click();
			const row = page.locator(`[data-user-id="${userId}"]`);
			await row.getByRole("button", { name: userId }).click();
			const form = row.locator(`[data-user-budget="${userId}"]`);
			await form.getByText(/^Spent today /).waitFor();
			await form.getByLabel("Day cap").fill("0.01");
			await form.getByRole("button", { name: "Save budget" }).click();
			await form.getByText("Saved.").waitFor();
			const set = await api<BudgetStatus>(admin(), "GET", `/api/users/${userId}/budget`);
			expect(set.day).toMatchObject({ cap_usd: 0.01, source: "user" });
			expect(set.month.source).not.toBe("user");
			await screenshot(page, "usage-admin-budget");

			// The user, over the cap: the new task form says why, with the cap and when it resets.
			const user = t.page;
			await user.getByLabel("New task").fill("What time is it?");
			await user.getByLabel("New task").press("Enter");
			const refusal = user.locator(".new-task [role=alert]");
			await refusal.waitFor();
			const spent = (await api<BudgetStatus>(token, "GET", "/api/me/budget")).day.spent_usd;
			expect(await refusal.textContent()).toMatch(
				new RegExp(
					`^You have spent ${formatUsd(spent).replace(/[$.]/g, "\\$&")} of your \\$0\\.01 daily budget\\. It resets at .+\\.$`,
				),
			);
			// Their Usage panel says so too (read again: it is the page they are on).
			await user.reload();
			const day = user.locator("[data-field=budget-day]");
			await expect.poll(() => day.getAttribute("data-over")).toBe("true");
			expect(await day.textContent()).toContain("of $0.01 (set for you by an admin)");

			// Empty goes back to the default (none here).
			await form.getByLabel("Day cap").fill("");
			await form.getByRole("button", { name: "Save budget" }).click();
			await expect
				.poll(async () => (await api<BudgetStatus>(admin(), "GET", `/api/users/${userId}/budget`)).day.source)
				.not.toBe("user");
			expect(errors).toEqual([]);
		} finally {
			await browser.close();
		}
	});
});
