import { z } from "zod";

/** User ids are chosen by admins: short, lowercase, URL- and tag-safe. */
export const UserIdSchema = z
	.string()
	.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "user id: 1-64 of a-z 0-9 _ . -, starting with a letter or digit");

/** Opaque ids the service hands out (sessions, tokens, tasks, chats, events). */
export const OpaqueIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "id: 1-128 of A-Z a-z 0-9 _ -");

/** A random id with a readable prefix, e.g. `ses_3fZ…`. Web Crypto only, so it runs anywhere. */
export function newId(prefix: string, bytes = 16): string {
	return `${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

export function base64url(bytes: Uint8Array): string {
	let binary = "";
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
