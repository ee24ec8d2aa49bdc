// Switching a user's MCP server off and on: the API shows it, and a run leaves an off server's
// tools out without even connecting to it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadMcpTools } from "../../src/mcp/tools.ts";
import type { McpServer } from "../../src/protocol/mcp.ts";
import { api, json, newUser } from "../support/api.ts";

type One = { mcp_server: McpServer };

async function addServer(token: string, name: string): Promise<McpServer> {
	const res = await api("/api/mcp-servers", {
		token,
		body: { name, url: `https://${name}.example.com/mcp`, verify: false },
	});
	expect(res.status).toBe(201);
	return (await json<One>(res)).mcp_server;
}

const patch = (token: string, name: string, body: unknown) =>
	api(`/api/mcp-servers/${name}`, { method: "PATCH", token, body });

/** A fetch that records where it was sent and fails (no network in tests). */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
	const urls: string[] = [];
	return {
		urls,
		fetch: async (input) => {
			urls.push(input instanceof Request ? input.url : String(input));
			throw new TypeError("no network here");
		},
	};
}

describe("MCP servers switched off and on", () => {
	it("a new server is on; PATCH enabled switches it, GET and the list agree", async () => {
		const user = await newUser();
		expect((await addServer(user.token, "files")).enabled).toBe(true);
		const off = await patch(user.token, "files", { enabled: false });
		expect(off.status).toBe(200);
		expect((await json<One>(off)).mcp_server.enabled).toBe(false);
		expect((await json<One>(api("/api/mcp-servers/files", { token: user.token }))).mcp_server.enabled).toBe(false);
		const list = await json<{ mcp_servers: McpServer[] }>(api("/api/mcp-servers", { token: user.token }));
		expect(list.mcp_servers.map((s) => [s.name, s.enabled])).toEqual([["files", false]]);
		const on = await json<One>(patch(user.token, "files", { enabled: true }));
		expect(on.mcp_server.enabled).toBe(true);
		// Switching off twice is still off, once on is on.
		await patch(user.token, "files", { enabled: false });
		await patch(user.token, "files", { enabled: false });
		expect((await json<One>(patch(user.token, "files", { enabled: true }))).mcp_server.enabled).toBe(true);
	});

	it("refuses anything but a boolean", async () => {
		const user = await newUser();
		await addServer(user.token, "strict");
		for (const enabled of ["no", 0, null]) {
			const res = await patch(user.token, "strict", { enabled });
			expect(res.status).toBe(400);
		}
	});

	it("a run leaves an off server out without connecting; on, it is tried again", async () => {
		const user = await newUser();
		await addServer(user.token, "quiet");
		await patch(user.token, "quiet", { enabled: false });
		const off = recordingFetch();
		const withOff = await loadMcpTools(env, user.id, { signal: new AbortController().signal, fetch: off.fetch });
		expect(off.urls).toEqual([]);
		expect(withOff.unavailable).toEqual([]);
		expect(Object.keys(withOff.tools)).toEqual([]);

		await patch(user.token, "quiet", { enabled: true });
		const on = recordingFetch();
		const withOn = await loadMcpTools(env, user.id, { signal: new AbortController().signal, fetch: on.fetch });
		expect(on.urls.some((url) => url.startsWith("https://quiet.example.com/mcp"))).toBe(true);
		expect(withOn.unavailable.map((u) => u.server)).toEqual(["quiet"]);
		await withOn.close();
	});

	it("removing a server removes its switch too", async () => {
		const user = await newUser();
		await addServer(user.token, "gone");
		await patch(user.token, "gone", { enabled: false });
		expect((await api("/api/mcp-servers/gone", { method: "DELETE", token: user.token })).status).toBe(204);
		const left = await env.DB.prepare(
			"SELECT count(*) AS n FROM mcp_servers_off o LEFT JOIN mcp_servers s ON s.id = o.server_id WHERE s.id IS NULL",
		).first<{ n: number }>();
		expect(left?.n).toBe(0);
	});
});
