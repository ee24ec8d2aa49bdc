// MCP servers a user connects, against the reference server (@modelcontextprotocol/server-everything)
// and a real `wrangler dev` running the demo model.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { api, type ErrorBody, type Json, live, newUser, runTask, waitForStatus } from "./support.ts";

const SECRET = "sk-live-TOPSECRET-4f9a2c7e1b";

describe("registering MCP servers", () => {
	it("registers a server, lists its live tools, and never shows header values", async () => {
		const user = await newUser();
		const created = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "everything", url: live().everythingUrl, headers: { "X-Api-Key": SECRET } },
		});
		expect(created.status).toBe(201);
		expect(created.body.mcp_server).toMatchObject({
			name: "everything",
			url: live().everythingUrl,
			header_names: ["X-Api-Key"],
			approval: "auto",
		});
		const listed = await api("/api/mcp-servers", { token: user.token });
		expect(listed.body.mcp_servers.map((s: { name: string }) => s.name)).toEqual(["everything"]);

		const tools = await api("/api/mcp-servers/everything/tools", { token: user.token });
		expect(tools.status).toBe(200);
		const byName = new Map<string, Json>(tools.body.tools.map((t: { name: string }) => [t.name, t]));
		expect(byName.get("get-sum")).toMatchObject({
			agent_name: "everything__get-sum",
			description: expect.any(String),
			input_schema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
			read_only: true,
			needs_approval: false,
		});
		expect(byName.has("echo")).toBe(true);

		// approval "always": every tool needs approval
		const patched = await api("/api/mcp-servers/everything", {
			token: user.token,
			method: "PATCH",
			body: { approval: "always" },
		});
		expect(patched.status).toBe(200);
		const again = await api("/api/mcp-servers/everything/tools", { token: user.token });
		expect(again.body.tools.every((t: { needs_approval: boolean }) => t.needs_approval)).toBe(true);

		for (const answer of [created, listed, tools, patched, again]) expect(answer.text).not.toContain("TOPSECRET");
		// Stored encrypted: the plain value is nowhere in D1.
		const stored = execFileSync(
			process.execPath,
			[
				resolve(import.meta.dirname, "../../node_modules/wrangler/bin/wrangler.js"),
				"d1",
				"execute",
				"DB",
				"--local",
				"--persist-to",
				live().persistTo,
				"--json",
				"--command",
				`SELECT headers, header_names FROM mcp_servers WHERE user_id = '${user.id}'`,
			],
			{
				cwd: resolve(import.meta.dirname, "../.."),
				encoding: "utf8",
				env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
			},
		);
		expect(stored).toContain("X-Api-Key");
		expect(stored).toMatch(/v1\.[\w-]+\.[\w-]+/);
		expect(stored).not.toContain("TOPSECRET");
	});

	it("validates: bad names, duplicates (409), unknown fields, the one error shape", async () => {
		const user = await newUser();
		const bad = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "Bad_Name", url: live().everythingUrl },
		});
		expect(bad.status).toBe(400);
		expect((bad.body as ErrorBody).error.code).toBe("validation_failed");
		const extra = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "x", url: live().everythingUrl, approval: "sometimes" },
		});
		expect(extra.status).toBe(400);
		expect(
			(await api("/api/mcp-servers", { token: user.token, body: { name: "one", url: live().everythingUrl } })).status,
		).toBe(201);
		const dup = await api("/api/mcp-servers", { token: user.token, body: { name: "one", url: live().legacyUrl } });
		expect(dup.status).toBe(409);
		expect((dup.body as ErrorBody).error).toMatchObject({
			code: "conflict",
			message: expect.stringContaining('"one"'),
		});
		expect((await api("/api/mcp-servers/one", { token: user.token, method: "DELETE" })).status).toBe(204);
		expect((await api("/api/mcp-servers/one", { token: user.token })).status).toBe(404);
		expect((await api("/api/mcp-servers", {})).status).toBe(401);
	});

	it("refuses to register a URL that doesn't answer MCP (a wrong path, a dead server): 422 mcp_unreachable with what was tried (issue #27)", async () => {
		const user = await newUser();
		const everything = new URL(live().everythingUrl);
		const wrongPath = `${everything.origin}/not-mcp`;
		const res = await api("/api/mcp-servers", { token: user.token, body: { name: "wrong", url: wrongPath } });
		expect(res.status).toBe(422);
		const { error } = res.body as ErrorBody & { error: { details: { url: string; tried: string[]; reason: string } } };
		expect(error.code).toBe("mcp_unreachable");
		expect(error.message).toContain(`${wrongPath} did not answer as an MCP server`);
		expect(error.details).toMatchObject({
			url: wrongPath,
			tried: ["server/discover (MCP 2026-07-28)", "initialize (Streamable HTTP, then HTTP+SSE)", "tools/list"],
		});
		const dead = await api("/api/mcp-servers", { token: user.token, body: { name: "dead", url: live().deadUrl } });
		expect(dead.status).toBe(422);
		expect((await api("/api/mcp-servers", { token: user.token })).body).toEqual({ mcp_servers: [] });
	});

	it("caps each user at 20 servers", async () => {
		const user = await newUser();
		for (let i = 0; i < 20; i++) {
			const res = await api("/api/mcp-servers", {
				token: user.token,
				body: { name: `s${i}`, url: live().everythingUrl },
			});
			expect(res.status).toBe(201);
		}
		const over = await api("/api/mcp-servers", { token: user.token, body: { name: "s20", url: live().everythingUrl } });
		expect(over.status).toBe(409);
		expect((over.body as ErrorBody).error.details).toEqual({ limit: 20, cap: "SPARKY_MAX_MCP_SERVERS" });
	});

	it("refuses metadata, link-local, loopback and private URLs at registration, naming the reason", async () => {
		const user = await newUser();
		const cases: [string, RegExp][] = [
			["http://169.254.169.254/latest/meta-data/", /link-local.*metadata/],
			["http://metadata.google.internal/computeMetadata/v1/", /reserved for private or local names/],
			["http://127.0.0.1:9/mcp", /loopback/],
			["http://10.0.0.8/mcp", /private/],
			["http://[::1]/mcp", /loopback/],
			["ftp://example.com/mcp", /only http/],
		];
		for (const [url, reason] of cases) {
			const res = await api("/api/mcp-servers", { token: user.token, body: { name: "bad", url } });
			expect(res.status, url).toBe(400);
			expect((res.body as ErrorBody).error.message, url).toMatch(reason);
		}
		// PATCH goes through the same guard.
		await api("/api/mcp-servers", { token: user.token, body: { name: "ok", url: live().everythingUrl } });
		const patched = await api("/api/mcp-servers/ok", {
			token: user.token,
			method: "PATCH",
			body: { url: "http://169.254.169.254/" },
		});
		expect(patched.status).toBe(400);
	});

	it("speaks HTTP+SSE to a server that only speaks that", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", { token: user.token, body: { name: "legacy", url: live().legacyUrl } });
		const tools = await api("/api/mcp-servers/legacy/tools", { token: user.token });
		expect(tools.status, tools.text).toBe(200);
		expect(tools.body.tools.map((t: { name: string }) => t.name)).toContain("echo");
		const { task } = await runTask(user.token, 'Use the legacy__echo tool with {"message":"over SSE"}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("Echo: over SSE");
	});

	it("a dead server: 503 for its tool list, and a run that still ends well, saying so", async () => {
		const user = await newUser();
		expect(
			(await api("/api/mcp-servers", { token: user.token, body: { name: "dead", url: live().deadUrl } })).status,
		).toBe(422);
		// Registered anyway (it is down for now): the opt-out of the check (issue #27).
		expect(
			(
				await api("/api/mcp-servers", {
					token: user.token,
					body: { name: "dead", url: live().deadUrl, verify: false },
				})
			).status,
		).toBe(201);
		const tools = await api("/api/mcp-servers/dead/tools", { token: user.token });
		expect(tools.status).toBe(503);
		expect((tools.body as ErrorBody).error).toMatchObject({
			code: "unavailable",
			message: expect.stringContaining("dead"),
		});
		const { task } = await runTask(user.token, 'Use the dead__echo tool with {"message":"hello"}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**dead__echo** failed");
	});

	it("a server that dies during a run: the call is a tool error naming the server", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "dying", url: `${live().proxyUrl}?die=1`, headers: { "X-Api-Key": `sk-die-${user.id}` } },
		});
		const { task } = await runTask(user.token, 'Use the dying__echo tool with {"message":"hello"}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toMatch(/\*\*dying__echo\*\* failed: dying__echo failed: MCP server "dying" /);
	});
});

describe("MCP tools in a run (demo model)", () => {
	it("calls a server's tool with the owner's headers and reports the result; the secret is in no event", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "everything", url: live().proxyUrl, headers: { "X-Api-Key": SECRET } },
		});
		const { task, events } = await runTask(user.token, 'Use the everything__get-sum tool with {"a": 2, "b": 40}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**everything__get-sum** returned:");
		expect(task.result).toContain("42");
		expect(events).toContain("everything__get-sum");
		expect(events).toContain("TOOL_CALL_RESULT");
		expect(events).not.toContain("TOPSECRET");
		expect(JSON.stringify(task)).not.toContain("TOPSECRET");
		// The server did get the header.
		const seen = (await (await fetch(live().proxyUrl.replace("/mcp", "/__seen"))).json()) as Record<string, string[]>;
		expect(seen[SECRET]).toContain("tools/call");
	});

	it("lists a server's tools once per run, however many calls the run makes", async () => {
		const user = await newUser();
		const key = `sk-once-${user.id}`;
		await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "everything", url: live().proxyUrl, headers: { "X-Api-Key": key } },
		});
		const seenUrl = live().proxyUrl.replace("/mcp", "/__seen");
		// Registration checked it answers MCP (issue #27): one initialize and one tools/list before the run.
		const atRegistration = ((await (await fetch(seenUrl)).json()) as Record<string, string[]>)[key] ?? [];
		expect(atRegistration.filter((m) => m === "tools/list")).toHaveLength(1);
		const { task } = await runTask(
			user.token,
			'Use the everything__echo tool with {"message":"one"}. Use the everything__echo tool with {"message":"two"}. Use the everything__get-sum tool with {"a":1,"b":2}',
		);
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("Echo: one");
		expect(task.result).toContain("Echo: two");
		const seen = (await (await fetch(seenUrl)).json()) as Record<string, string[]>;
		const methods = (seen[key] ?? []).slice(atRegistration.length);
		expect(methods.filter((m) => m === "tools/list")).toHaveLength(1);
		expect(methods.filter((m) => m === "tools/call")).toHaveLength(3);
		expect(methods.filter((m) => m === "initialize")).toHaveLength(1);
	});

	it("input that fails the tool's schema and an error result become tool errors, not crashed runs", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", { token: user.token, body: { name: "everything", url: live().everythingUrl } });
		const invalid = await runTask(user.token, 'Use the everything__get-sum tool with {"a": "two", "b": 1}');
		expect(invalid.task.status).toBe("succeeded");
		expect(invalid.task.result).toMatch(/everything__get-sum.*failed.*does not match the tool's schema.*\/a/s);
		const errored = await runTask(
			user.token,
			'Use the everything__get-resource-reference tool with {"resourceId": -1}',
		);
		expect(errored.task.status).toBe("succeeded");
		expect(errored.task.result).toMatch(/reported an error: .*Invalid resourceId/s);
	});

	it("a slow tool times out as a tool error", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", { token: user.token, body: { name: "everything", url: live().everythingUrl } });
		const started = Date.now();
		const { task } = await runTask(
			user.token,
			'Use the everything__trigger-long-running-operation tool with {"duration": 30, "steps": 3}',
		);
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain(`timed out after ${live().timeoutSeconds} s`);
		expect(Date.now() - started).toBeLessThan(25_000);
	});

	it("each user sees and uses only their own servers", async () => {
		const alice = await newUser();
		const bob = await newUser();
		await api("/api/mcp-servers", { token: alice.token, body: { name: "everything", url: live().everythingUrl } });
		expect((await api("/api/mcp-servers", { token: bob.token })).body.mcp_servers).toEqual([]);
		expect((await api("/api/mcp-servers/everything", { token: bob.token })).status).toBe(404);
		expect((await api("/api/mcp-servers/everything/tools", { token: bob.token })).status).toBe(404);
		expect((await api("/api/mcp-servers/everything", { token: bob.token, method: "DELETE" })).status).toBe(404);
		// Bob's runs don't have Alice's tools.
		const { task } = await runTask(bob.token, 'Use the everything__echo tool with {"message":"hi"}');
		expect(task.result).not.toContain("Echo: hi");
		expect(task.result).toMatch(/everything__echo.*failed/s);
		// Bob may use the same name for his own.
		expect(
			(await api("/api/mcp-servers", { token: bob.token, body: { name: "everything", url: live().legacyUrl } })).status,
		).toBe(201);
		const alices = await runTask(alice.token, 'Use the everything__echo tool with {"message":"hi"}');
		expect(alices.task.result).toContain("Echo: hi");
	});

	it("approval auto: a tool not annotated read-only waits for a person's approval; never: it runs at once", async () => {
		const user = await newUser();
		await api("/api/mcp-servers", { token: user.token, body: { name: "everything", url: live().everythingUrl } });
		const instruction = "Use the everything__toggle-simulated-logging tool with {}";
		const created = await api("/api/tasks", { token: user.token, body: { instruction } });
		const id = created.body.task.id as string;
		await waitForStatus(user.token, id, (s) => s === "awaiting_approval");
		const pending = await api("/api/approvals", { token: user.token });
		const approval = pending.body.approvals.find((a: { task_id: string }) => a.task_id === id);
		expect(approval).toMatchObject({ tool: "everything__toggle-simulated-logging", status: "pending" });
		const decided = await api(`/api/tasks/${id}/approvals/${approval.id}`, {
			token: user.token,
			body: { approved: true },
		});
		expect(decided.status, decided.text).toBeLessThan(300);
		const done = await waitForStatus(user.token, id, (s) => ["succeeded", "failed", "cancelled"].includes(s));
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("**everything__toggle-simulated-logging** returned:");

		// A read-only tool of the same server ran without asking (the other tests), and "never" asks for none.
		await api("/api/mcp-servers/everything", { token: user.token, method: "PATCH", body: { approval: "never" } });
		const { task } = await runTask(user.token, instruction);
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**everything__toggle-simulated-logging** returned:");
	});
});
