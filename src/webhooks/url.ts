import { checkUrl } from "../tools/net-guard.ts";

/**
 * Where a webhook may point: the same network guard as `http_fetch` (tools/net-guard.ts: no
 * private, loopback, link-local or reserved address in any spelling, no local or wildcard-DNS
 * name, the usual web ports), and https only. An `allow` entry (SPARKY_WEBHOOK_ALLOW, loopback
 * only: config.ts) lets a local receiver through, over http too. Checked when a task or
 * schedule is given the webhook and again before every attempt (settings, and what a name
 * points to, can change in between).
 */
export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function checkWebhookUrl(raw: string, allow: readonly string[]): WebhookUrlCheck {
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		return { ok: false, reason: "it is not an absolute URL" };
	}
	if (url.username || url.password)
		return { ok: false, reason: "a webhook URL carries no credentials (user:password@): deliveries are signed" };
	url.hash = "";
	const port = url.port || (url.protocol === "https:" ? "443" : "80");
	if (
		(url.protocol === "http:" || url.protocol === "https:") &&
		(allow.includes(`${url.hostname}:${port}`) || allow.includes(`${url.hostname}:*`))
	)
		return { ok: true, url };
	if (url.protocol !== "https:") return { ok: false, reason: `a webhook URL must be https, not ${url.protocol}` };
	const checked = checkUrl(url.href, []);
	if (!checked.ok) {
		const local = checked.allowEntry && /^(127\.0\.0\.1|localhost|\[::1\]):/.test(checked.allowEntry);
		const hint = local
			? ` (a local receiver while developing: set SPARKY_WEBHOOK_ALLOW=${checked.allowEntry} in .dev.vars; never in production)`
			: "";
		return { ok: false, reason: `${checked.reason}${hint}` };
	}
	return { ok: true, url };
}

/** The URL as shown on the task: without its query string and fragment (they may carry a token). */
export function shownUrl(raw: string): string {
	try {
		const url = new URL(raw);
		url.search = "";
		url.hash = "";
		return url.href;
	} catch {
		return "";
	}
}

/** What logs and errors name: the origin alone (a path or query may carry a token). */
export function originOf(raw: string): string {
	try {
		return new URL(raw).origin;
	} catch {
		return "(invalid URL)";
	}
}
