/** A small HTTP client for the suite. Never throws on HTTP errors: returns status and body. */
export class Api {
	constructor(
		readonly baseUrl: string,
		readonly token?: string,
	) {}

	with(token: string): Api {
		return new Api(this.baseUrl, token);
	}

	async call<T = Record<string, unknown>>(
		method: string,
		path: string,
		body?: unknown,
		headers: Record<string, string> = {},
	): Promise<{ status: number; body: T; headers: Headers }> {
		const res = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
				...(body === undefined ? {} : { "Content-Type": "application/json" }),
				...headers,
			},
			body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
		});
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			// not JSON: keep the text
		}
		return { status: res.status, body: parsed as T, headers: res.headers };
	}

	get<T = Record<string, unknown>>(path: string) {
		return this.call<T>("GET", path);
	}

	post<T = Record<string, unknown>>(path: string, body: unknown = {}, headers?: Record<string, string>) {
		return this.call<T>("POST", path, body, headers);
	}

	/** Creates a user (if needed) and a token for it. */
	async user(id: string, role: "admin" | "user" = "user"): Promise<{ id: string; token: string; tokenId: string }> {
		const created = await this.post("/api/users", { id, role });
		if (created.status !== 201 && created.status !== 409) throw new Error(`create user ${id}: ${created.status}`);
		const token = await this.post<{ token: string; id: string }>(`/api/users/${id}/tokens`, { name: "faults" });
		if (token.status !== 201) throw new Error(`token for ${id}: ${token.status}`);
		return { id, token: token.body.token, tokenId: token.body.id };
	}
}

/** Polls until `check` holds or the time is up; returns whether it held. */
export async function eventually(
	check: () => Promise<boolean> | boolean,
	timeoutMs: number,
	everyMs = 250,
): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check()) return true;
		if (Date.now() > deadline) return false;
		await new Promise((r) => setTimeout(r, everyMs));
	}
}
