// Settings: the user's MCP servers. Add one with an auth header (write-only: used, never shown
// back), switch it off and on, list its tools from the live server, remove it.
import { describe, expect, inject, it } from "vitest";
import type { McpServer } from "../../src/protocol/mcp.ts";
import { api, userToken } from "./support/api.ts";
import { DESKTOP, PHONE, screenshot, usePage } from "./support/browser.ts";
import { sticksOut } from "./support/checks.ts";

let token = "";
const t = usePage(async () => {
	token = await userToken(`settings-${Date.now().toString(36)}`);
	return token;
});
const secret = `Bearer e2e-secret-${Date.now().toString(36)}`;

describe("settings: MCP servers", () => {
	it("adds a server with a write-only auth header and shows its live tools", async () => {
		const page = t.page;
		await page.getByRole("link", { name: "Settings", exact: true }).click();
		await page.waitForURL(/\/settings$/);
		await page.getByText("No MCP servers yet.").waitFor();
		await page.getByLabel("Name", { exact: true }).fill("tools");
		await page.getByLabel("URL").fill(`${inject("pageUrl")}/mcp`);
		await page.getByLabel("Header value").fill(secret);
		await page.getByRole("button", { name: "Add server" }).click();
		const row = page.locator('[data-mcp-server="tools"]');
		await row.waitFor();
		expect(await row.textContent()).toContain("Authorization (values hidden)");
		expect(await page.getByLabel("Header value").inputValue()).toBe("");
		expect(await page.content()).not.toContain(secret);
		const listed = await api<{ mcp_servers: McpServer[] }>(token, "GET", "/api/mcp-servers");
		expect(JSON.stringify(listed)).not.toContain(secret);

		expect(await row.locator(".badge").textContent()).toBe("on");
		const enabled = async () =>
			(await api<{ mcp_server: McpServer }>(token, "GET", "/api/mcp-servers/tools")).mcp_server.enabled;
		await row.getByRole("button", { name: "Disable tools" }).click();
		await expect.poll(() => row.locator(".badge").textContent()).toBe("off");
		expect(await enabled()).toBe(false);
		await row.getByRole("button", { name: "Enable tools" }).click();
		await expect.poll(() => row.locator(".badge").textContent()).toBe("on");
		expect(await enabled()).toBe(true);

		await row.getByRole("button", { name: "Show tools of tools" }).click();
		await row.locator(".tools-list code", { hasText: "tools__echo" }).waitFor();
		expect(await row.locator(".tools-list").textContent()).toContain("Says back what it is given.");
		// Shown, the same button hides them (and says so); again, it shows them.
		const hide = row.getByRole("button", { name: "Hide tools of tools" });
		expect(await hide.getAttribute("aria-expanded")).toBe("true");
		await hide.click();
		await expect.poll(() => row.locator(".tools-list").count()).toBe(0);
		const show = row.getByRole("button", { name: "Show tools of tools" });
		expect(await show.getAttribute("aria-expanded")).toBe("false");
		await show.click();
		await row.locator(".tools-list code", { hasText: "tools__echo" }).waitFor();
		// The header went to the server itself.
		const seen = (await (await fetch(`${inject("pageUrl")}/mcp-auth`)).json()) as string[];
		expect(seen).toContain(secret);
		await screenshot(page, "settings-desktop");
		await page.setViewportSize(PHONE);
		await screenshot(page, "settings-phone");
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		expect(await sticksOut(page, ".panel")).toEqual([]);
		await page.setViewportSize(DESKTOP);
	});

	it("refuses a URL that doesn't answer MCP, saying why", async () => {
		const page = t.page;
		await page.getByLabel("Name", { exact: true }).fill("broken");
		await page.getByLabel("URL").fill(`${inject("pageUrl")}/not-mcp`);
		await page.getByRole("button", { name: "Add server" }).click();
		const alert = page.locator(".panel > .error[role=alert], .panel .error[role=alert]").first();
		await alert.waitFor({ timeout: 20_000 });
		expect(await alert.textContent()).toContain("did not answer as an MCP server");
		expect(await page.locator('[data-mcp-server="broken"]').count()).toBe(0);
		expect(
			(await api<{ mcp_servers: McpServer[] }>(token, "GET", "/api/mcp-servers")).mcp_servers.map((s) => s.name),
		).toEqual(["tools"]);
	});

	it("shows why a server's tools can't be listed, and removes it", async () => {
		const page = t.page;
		// A server that answered once and broke since: registered without the check (`verify: false`).
		await api(token, "POST", "/api/mcp-servers", {
			name: "broken",
			url: `${inject("pageUrl")}/not-mcp`,
			verify: false,
		});
		await page.reload();
		const row = page.locator('[data-mcp-server="broken"]');
		await row.getByRole("button", { name: "Show tools of broken" }).click();
		await row.getByRole("alert").waitFor({ timeout: 20_000 });
		await row.getByRole("button", { name: "Remove broken" }).click();
		await expect.poll(() => row.count()).toBe(0);
		await page.locator('[data-mcp-server="tools"]').getByRole("button", { name: "Remove tools" }).click();
		await page.getByText("No MCP servers yet.").waitFor();
		expect((await api<{ mcp_servers: McpServer[] }>(token, "GET", "/api/mcp-servers")).mcp_servers).toEqual([]);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
