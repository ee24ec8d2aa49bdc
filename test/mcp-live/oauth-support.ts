// A host connecting to Sparky's /mcp with OAuth, as a desktop assistant would: the official
// SDK's OAuth client (an OAuthClientProvider in memory), a loopback callback server that catches
// the code, and Debian's Chromium (playwright-core) where the user signs in and consents.
import { createServer, type Server } from "node:http";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
	OAuthClientInformationMixed,
	OAuthClientMetadata,
	OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { Page } from "playwright-core";
import { freePort } from "../../scripts/lib/dev-server.mjs";
import { listenOn } from "./listening.ts";
import { live } from "./support.ts";

/** What the SDK keeps for one host: its registration, tokens, PKCE verifier, and where it sent the user. */
export class MemoryOAuthProvider implements OAuthClientProvider {
	client?: OAuthClientInformationMixed;
	saved?: OAuthTokens;
	verifier?: string;
	authorizationUrl?: URL;

	readonly redirectUrl: string;

	constructor(redirectUrl: string) {
		this.redirectUrl = redirectUrl;
	}

	get clientMetadata(): OAuthClientMetadata {
		return {
			client_name: "Sparky OAuth test host",
			redirect_uris: [this.redirectUrl],
			grant_types: ["authorization_code", "refresh_token"],
			response_types: ["code"],
			token_endpoint_auth_method: "none",
		};
	}
	clientInformation = () => this.client;
	saveClientInformation = (info: OAuthClientInformationMixed) => {
		this.client = info;
	};
	tokens = () => this.saved;
	saveTokens = (tokens: OAuthTokens) => {
		this.saved = tokens;
	};
	redirectToAuthorization = (url: URL) => {
		this.authorizationUrl = url;
	};
	/** What a host does when the server refuses its credentials: forget them, so it asks again. */
	invalidateCredentials = (scope: "all" | "client" | "tokens" | "verifier" | "discovery") => {
		if (scope === "all" || scope === "tokens") this.saved = undefined;
		if (scope === "all" || scope === "client") this.client = undefined;
		if (scope === "all" || scope === "verifier") this.verifier = undefined;
	};
	saveCodeVerifier = (verifier: string) => {
		this.verifier = verifier;
	};
	codeVerifier = () => {
		if (!this.verifier) throw new Error("no PKCE verifier saved");
		return this.verifier;
	};
}

/** A loopback server where the browser lands after consent (RFC 8252); remembers each URL. */
export async function callbackServer(): Promise<{ url: string; hits: URL[]; server: Server }> {
	const port = await freePort();
	const hits: URL[] = [];
	const server = createServer((req, res) => {
		hits.push(new URL(req.url ?? "/", `http://127.0.0.1:${port}`));
		res.setHeader("content-type", "text/plain");
		res.end("You can close this window.");
	});
	await listenOn(server, port);
	return { url: `http://127.0.0.1:${port}/callback`, hits, server };
}

/** Debian's Chromium, as every browser suite drives it. */
export { launchOwnChromium as launchChromium } from "../e2e/support/chromium.ts";

/** Signs the page in with its own form, as a person would. */
export async function signIn(page: Page, token: string): Promise<void> {
	await page.goto(live().url);
	await page.getByLabel("API token").fill(token);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.locator(".conn[data-state=connected]").waitFor();
}
