/**
 * `Sparky-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
 * user's webhook secret (its UTF-8 bytes, the whole `whsec_…` string). Web Crypto only.
 */
const encoder = new TextEncoder();

/** The hex HMAC-SHA256 of `<t>.<body>` under `secret`. */
export async function signPayload(secret: string, timestamp: number, body: string): Promise<string> {
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
		"sign",
	]);
	const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
	return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The header's value for a body sent at `nowMs`. */
export async function signatureHeader(secret: string, nowMs: number, body: string): Promise<string> {
	const t = Math.floor(nowMs / 1000);
	return `t=${t},v1=${await signPayload(secret, t, body)}`;
}
