import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";
import { inject } from "vitest";

export const server = () => inject("agui");
export const endpoint = () => `${server().url}/api/ag-ui`;

let n = 0;

/** A fresh user and a token of theirs (each test its own, so threads never collide). */
export async function newUser(): Promise<{ id: string; token: string }> {
	const { url, adminToken } = server();
	const id = `agui-${process.pid}-${Date.now().toString(36)}-${n++}`;
	const admin = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
	const created = await fetch(`${url}/api/users`, { method: "POST", headers: admin, body: JSON.stringify({ id }) });
	if (created.status !== 201) throw new Error(`creating user: ${created.status} ${await created.text()}`);
	const tokenRes = await fetch(`${url}/api/users/${id}/tokens`, { method: "POST", headers: admin, body: "{}" });
	const body = (await tokenRes.json()) as { token?: string; secret?: string };
	const token = body.token ?? body.secret;
	if (!token) throw new Error(`no token in ${JSON.stringify(body)}`);
	return { id, token };
}

/** The real client, as any AG-UI app would make it. */
export function agentFor(
	token: string,
	threadId: string = randomUUID(),
	headers: Record<string, string> = {},
): HttpAgent {
	return new HttpAgent({ url: endpoint(), threadId, headers: { Authorization: `Bearer ${token}`, ...headers } });
}

export function userMessage(text: string) {
	return { id: randomUUID(), role: "user" as const, content: text };
}

export async function api<T>(token: string, path: string, init: RequestInit = {}): Promise<T> {
	const res = await fetch(`${server().url}${path}`, {
		...init,
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers },
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}
