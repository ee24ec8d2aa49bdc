// Connecting an app to /mcp with OAuth, in the page: the consent screen at /authorize (who
// asks, where access goes, the scopes to untick; accessible), Allow and Deny back to the app,
// and the app under Settings → Connected apps until it is revoked there.
import { createHash, randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ConnectedApp } from "../../src/protocol/oauth.ts";
import { api, userToken } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import { launchChromium, openPage, screenshot, signIn, type TestPage } from "./support/browser.ts";

/** Nothing listens there: the test catches the browser's arrival with page.route. */
const CALLBACK = "http://127.0.0.1:9/callback";

let token = "";
let t: TestPage;
let close: () => Promise<void>;
beforeAll(async () => {
	token = await userToken(`apps-${Date.now().toString(36)}`);
	const browser = await launchChromium();
	t = await openPage(browser, undefined, { bypassCSP: true });
	close = () => browser.close();
	await signIn(t.page, token);
	await t.page.route(`${CALLBACK}**`, (route) => route.fulfill({ contentType: "text/plain", body: "back in the app" }));
});
afterAll(async () => close?.());

async function registerApp(name: string): Promise<string> {
	const res = await fetch(`${inject("sparkyUrl")}/oauth/register`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ client_name: name, redirect_uris: [CALLBACK], token_endpoint_auth_method: "none" }),
	});
	expect(res.status).toBe(201);
	return ((await res.json()) as { client_id: string }).client_id;
}

async function openConsent(page: Page, clientId: string, scope: string) {
	const challenge = createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url");
	const query = new URLSearchParams({
		response_type: "code",
		client_id: clientId,
		redirect_uri: CALLBACK,
		code_challenge: challenge,
		code_challenge_method: "S256",
		state: "e2e-state",
		scope,
	});
	await page.goto(`${inject("sparkyUrl")}/authorize?${query}`);
	await page.getByRole("heading", { name: /Allow .* to use Sparky/ }).waitFor();
}

describe("connecting an app (OAuth consent)", () => {
	it("shows who asks, where access goes and the scopes; Allow returns a code to the app", async () => {
		const page = t.page;
		const clientId = await registerApp("E2E Notes <b>app</b>");
		await openConsent(page, clientId, "tasks:read tasks:write");
		// The app's self-chosen name is text, never markup.
		expect(await page.locator(".consent-app").textContent()).toBe("E2E Notes <b>app</b>");
		expect(await page.locator(".consent-host").textContent()).toBe("127.0.0.1");
		await page.getByText("its name is not verified").waitFor();
		await page.getByText("That is an app on this computer").waitFor();
		expect(await page.getByRole("checkbox").count()).toBe(2);
		expect(await page.getByRole("checkbox", { name: /Add tasks and cancel them/ }).isChecked()).toBe(true);
		const { serious, rulesRun } = await axeCheck(page);
		expect(rulesRun).toBeGreaterThan(30);
		expect(serious).toEqual([]);
		await screenshot(page, "oauth-consent");
		await page.getByRole("checkbox", { name: /Add tasks and cancel them/ }).uncheck();
		await page.getByRole("button", { name: "Allow" }).click();
		await page.waitForURL((url) => url.href.startsWith(CALLBACK));
		const back = new URL(page.url());
		expect(back.searchParams.get("code")).toBeTruthy();
		expect(back.searchParams.get("state")).toBe("e2e-state");
		const { connected_apps } = await api<{ connected_apps: ConnectedApp[] }>(token, "GET", "/api/connected-apps");
		expect(connected_apps).toEqual([
			expect.objectContaining({ client_name: "E2E Notes <b>app</b>", scopes: ["tasks:read"] }),
		]);
	});

	it("Deny returns access_denied and connects nothing more", async () => {
		const page = t.page;
		await openConsent(page, await registerApp("E2E Denied"), "tasks:read");
		await page.getByRole("button", { name: "Deny" }).click();
		await page.waitForURL((url) => url.href.startsWith(CALLBACK));
		expect(new URL(page.url()).searchParams.get("error")).toBe("access_denied");
		const { connected_apps } = await api<{ connected_apps: ConnectedApp[] }>(token, "GET", "/api/connected-apps");
		expect(connected_apps.map((a) => a.client_name)).toEqual(["E2E Notes <b>app</b>"]);
	});

	it("Settings lists the connected app with its scopes, and Revoke removes it", async () => {
		const page = t.page;
		await page.goto(`${inject("sparkyUrl")}/settings`);
		const row = page.locator("[data-connected-app]");
		await row.waitFor();
		expect(await row.textContent()).toContain("E2E Notes <b>app</b>");
		expect(await row.textContent()).toContain("tasks:read");
		await screenshot(page, "settings-connected-apps");
		await row.getByRole("button", { name: /Revoke/ }).click();
		await page.getByText("No connected apps.").waitFor();
		const { connected_apps } = await api<{ connected_apps: ConnectedApp[] }>(token, "GET", "/api/connected-apps");
		expect(connected_apps).toEqual([]);
	});
});
