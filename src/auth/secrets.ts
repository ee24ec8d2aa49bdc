import { base64url } from "../protocol/index.ts";

/** A new random secret with a recognisable prefix (so leaked ones are easy to scan for). */
export function newSecret(prefix: "spk" | "tkt", bytes = 32): string {
	return `${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/**
 * Secrets are high-entropy random strings, so a fast hash is enough: there is nothing to
 * brute-force. Only the hash is stored; lookups are by hash.
 */
export async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two secrets in time independent of where they differ (hash first: equal lengths). */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
	const [ha, hb] = await Promise.all([
		crypto.subtle.digest("SHA-256", new TextEncoder().encode(a)),
		crypto.subtle.digest("SHA-256", new TextEncoder().encode(b)),
	]);
	return crypto.subtle.timingSafeEqual(ha, hb);
}
