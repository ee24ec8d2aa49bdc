import { env, exports } from "cloudflare:workers";
import type { Role } from "../../src/protocol/index.ts";

export const BASE = "http://sparky.test";

export interface CallOptions {
	method?: string;
	token?: string;
	body?: unknown;
	headers?: Record<string, string>;
}

/** Calls the Worker like an HTTP client would. */
export function api(path: string, options: CallOptions = {}): Promise<Response> {
	const headers = new Headers(options.headers);
	if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
	let body: string | undefined;
	if (options.body !== undefined) {
		body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
		if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
	}
	return exports.default.fetch(`${BASE}${path}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
}

export async function json<T = Record<string, unknown>>(res: Response | Promise<Response>): Promise<T> {
	return (await (await res).json()) as T;
}

export const adminToken = (): string => env.SPARKY_ADMIN_TOKEN;

let userCounter = 0;
/** A fresh user (unique per call) and a token for it. */
export async function newUser(
	role: Role = "user",
	tokenOptions: Record<string, unknown> = {},
): Promise<{ id: string; token: string; tokenId: string }> {
	const id = `user-${Date.now().toString(36)}-${userCounter++}`;
	const created = await api("/api/users", { token: adminToken(), body: { id, role } });
	if (created.status !== 201) throw new Error(`create user: ${created.status} ${await created.text()}`);
	const { token, tokenId } = await tokenFor(id, tokenOptions);
	return { id, token, tokenId };
}

export async function tokenFor(userId: string, options: Record<string, unknown> = {}) {
	const res = await api(`/api/users/${userId}/tokens`, { token: adminToken(), body: options });
	if (res.status !== 201) throw new Error(`create token: ${res.status} ${await res.text()}`);
	const body = await json<{ token: string; id: string }>(res);
	return { token: body.token, tokenId: body.id };
}

/** Publishes a CUSTOM notice to a user's hub through the admin route; returns its seq. */
export async function notify(userId: string, name: string, value: unknown): Promise<number> {
	const res = await api(`/api/users/${userId}/events`, { token: adminToken(), body: { name, value } });
	if (res.status !== 201) throw new Error(`notify: ${res.status} ${await res.text()}`);
	return (await json<{ seq: number }>(res)).seq;
}
