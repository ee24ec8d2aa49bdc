import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentConfig } from "../../src/config.ts";
import { depsFor } from "../../src/deps.ts";
import {
	HTTP_FETCH_LIMITS,
	type HttpFetchResult,
	httpFetch,
	httpFetchTool,
	MAX_BODY_BYTES,
	MAX_REDIRECTS,
	MAX_TEXT_CHARS,
} from "../../src/tools/http-fetch.ts";
import { isFailure, type ToolContext, type ToolFailure } from "../../src/tools/types.ts";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A ToolContext whose fetch answers from `handler` and records every call; no network. */
function context(handler: Handler, signal: AbortSignal = new AbortController().signal) {
	const calls: { url: string; init: RequestInit }[] = [];
	const fakeFetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
		const url = input instanceof Request ? input.url : String(input);
		calls.push({ url, init });
		return handler(url, init);
	}) as typeof fetch;
	const ctx: ToolContext = {
		env,
		relay: depsFor(env).relay,
		userId: "alice",
		depth: 0,
		signal,
		config: agentConfig(env),
		fetch: fakeFetch,
		now: () => Date.now(),
	};
	return { ctx, calls };
}

const run = (ctx: ToolContext, url: string, method: "GET" | "HEAD" = "GET") =>
	httpFetchTool.execute(httpFetchTool.input.parse({ url, method }), ctx);

function ok(value: HttpFetchResult | ToolFailure): HttpFetchResult {
	if (isFailure(value)) throw new Error(`expected a result, got failure: ${value.error}`);
	return value;
}

function failure(value: HttpFetchResult | ToolFailure): ToolFailure {
	if (!isFailure(value)) throw new Error(`expected a failure, got ${JSON.stringify(value).slice(0, 200)}`);
	return value;
}

const html = (body: string, init: ResponseInit = {}) =>
	new Response(body, { ...init, headers: { "content-type": "text/html; charset=utf-8", ...init.headers } });

const redirect = (location: string, status = 302) => new Response(null, { status, headers: { location } });

describe("http_fetch input", () => {
	it("defaults to GET and refuses unknown fields, methods and long URLs", () => {
		expect(httpFetchTool.name).toBe("http_fetch");
		expect(httpFetchTool.input.parse({ url: "https://example.com/" })).toEqual({
			url: "https://example.com/",
			method: "GET",
		});
		expect(httpFetchTool.input.safeParse({ url: "https://example.com/", method: "POST" }).success).toBe(false);
		expect(httpFetchTool.input.safeParse({ url: "https://example.com/", headers: {} }).success).toBe(false);
		expect(httpFetchTool.input.safeParse({ url: `https://example.com/${"a".repeat(2048)}` }).success).toBe(false);
	});
});

describe("http_fetch", () => {
	it("reads an HTML page as title and text", async () => {
		const { ctx, calls } = context(() =>
			html(
				"<html><head><title>Example &amp; Co</title><script>track()</script></head><body><h1>Hello</h1><p>World &mdash; ok</p></body></html>",
			),
		);
		const result = ok(await run(ctx, "https://example.com/page"));
		expect(result).toEqual({
			url: "https://example.com/page",
			status: 200,
			content_type: "text/html; charset=utf-8",
			title: "Example & Co",
			text: "Hello\n\nWorld — ok",
			truncated: false,
			redirects: 0,
		});
		expect(calls).toHaveLength(1);
		expect(calls[0]?.init.redirect).toBe("manual");
		expect(calls[0]?.init.method).toBe("GET");
		expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
	});

	it("returns JSON as text", async () => {
		const { ctx } = context(() => Response.json({ a: 1, b: ["x"] }));
		const result = ok(await run(ctx, "https://api.example.com/v1/thing"));
		expect(result.content_type).toContain("application/json");
		expect(JSON.parse(result.text)).toEqual({ a: 1, b: ["x"] });
		expect(result.title).toBeUndefined();
	});

	it("returns plain text as it is", async () => {
		const { ctx } = context(() => new Response("line 1\n  line 2\n", { headers: { "content-type": "text/plain" } }));
		expect(ok(await run(ctx, "https://example.com/robots.txt")).text).toBe("line 1\n  line 2\n");
	});

	it("passes a non-2xx answer through with its text", async () => {
		const { ctx } = context(() => html("<title>Not found</title><p>No such page</p>", { status: 404 }));
		const result = ok(await run(ctx, "https://example.com/missing"));
		expect(result.status).toBe(404);
		expect(result.text).toBe("No such page");
	});

	it("sends HEAD and returns no text", async () => {
		const { ctx, calls } = context(
			() =>
				new Response(null, { status: 200, headers: { "content-type": "application/pdf", "content-length": "12345" } }),
		);
		const result = ok(await run(ctx, "https://example.com/file.pdf", "HEAD"));
		expect(calls[0]?.init.method).toBe("HEAD");
		expect(result).toMatchObject({ status: 200, content_type: "application/pdf", text: "", truncated: false });
		expect(result.content_length).toBe(12345);
	});

	it("refuses a loopback URL without calling fetch", async () => {
		const { ctx, calls } = context(() => html("should not be fetched"));
		const result = failure(await run(ctx, "http://127.0.0.1:8787/"));
		expect(result.error).toContain("loopback");
		expect(calls).toHaveLength(0);
	});

	it.each([
		["http://169.254.169.254/latest/meta-data/", "link-local"],
		["http://localhost/", "single-label or local host name"],
		["file:///etc/passwd", "only http: and https:"],
		["http://[::ffff:7f00:1]/", "loopback"],
	])("refuses %s without calling fetch", async (url, why) => {
		const { ctx, calls } = context(() => html("no"));
		expect(failure(await run(ctx, url)).error).toContain(why);
		expect(calls).toHaveLength(0);
	});

	it("follows redirects, resolving relative locations", async () => {
		const { ctx, calls } = context((url) => {
			if (url === "https://example.com/a") return redirect("/b", 301);
			if (url === "https://example.com/b") return redirect("https://www.example.com/c?x=1", 308);
			return html("<p>arrived</p>");
		});
		const result = ok(await run(ctx, "https://example.com/a"));
		expect(calls.map((c) => c.url)).toEqual([
			"https://example.com/a",
			"https://example.com/b",
			"https://www.example.com/c?x=1",
		]);
		expect(result).toMatchObject({ url: "https://www.example.com/c?x=1", redirects: 2, text: "arrived" });
	});

	it("a refusal names the setting that would allow it, and where it goes (issue #27)", async () => {
		const { ctx, calls } = context(() => new Response("never"));
		const result = failure(await run(ctx, "http://127.0.0.1:3001/x"));
		expect(result.error).toBe(
			"refused to fetch http://127.0.0.1:3001/x: 127.0.0.1 is a loopback address (to let Sparky reach it when running locally, set SPARKY_HTTP_FETCH_ALLOW=127.0.0.1:3001 in .dev.vars; never in production)",
		);
		expect(calls).toEqual([]);
		// A refused scheme has no setting that would allow it.
		expect(failure(await run(ctx, "ftp://example.com/")).error).not.toContain("SPARKY_HTTP_FETCH_ALLOW");
	});

	it("refuses a redirect to a private address and does not follow it", async () => {
		const { ctx, calls } = context(() => redirect("http://10.0.0.1/admin"));
		const result = failure(await run(ctx, "https://example.com/"));
		expect(result.error).toContain("refused redirect");
		expect(result.error).toContain("10.0.0.1 is a private");
		expect(calls.map((c) => c.url)).toEqual(["https://example.com/"]);
	});

	it("refuses a redirect to a metadata host given as a decimal IP", async () => {
		const { ctx, calls } = context(() => redirect("http://2852039166/latest/meta-data/"));
		expect(failure(await run(ctx, "https://example.com/")).error).toContain("169.254.169.254 is a link-local");
		expect(calls).toHaveLength(1);
	});

	it(`gives up after ${MAX_REDIRECTS} redirects`, async () => {
		const { ctx, calls } = context((url) => redirect(`${url.replace(/\d*$/, "")}${calls.length}`));
		const result = failure(await run(ctx, "https://example.com/r"));
		expect(result.error).toContain("too many redirects");
		expect(calls).toHaveLength(MAX_REDIRECTS + 1);
	});

	it("allows exactly the maximum number of redirects", async () => {
		const { ctx } = context((url) => {
			const n = Number(new URL(url).pathname.slice(1));
			return n < MAX_REDIRECTS ? redirect(`/${n + 1}`) : html("<p>done</p>");
		});
		expect(ok(await run(ctx, "https://example.com/0"))).toMatchObject({ redirects: MAX_REDIRECTS, text: "done" });
	});

	it("reads at most 1 MiB of a large body, pulling little past the limit", async () => {
		const chunk = new TextEncoder().encode("a".repeat(64 * 1024));
		let pulled = 0;
		let cancelled = false;
		const { ctx } = context(() => {
			// 20 MiB on offer; the count says how much the tool actually asked for.
			const stream = new ReadableStream<Uint8Array>({
				pull(controller) {
					if (pulled >= 20 * 1024 * 1024) return controller.close();
					pulled += chunk.byteLength;
					controller.enqueue(chunk);
				},
				cancel() {
					cancelled = true;
				},
			});
			return new Response(stream, { headers: { "content-type": "text/plain" } });
		});
		const result = ok(await run(ctx, "https://example.com/huge.txt"));
		expect(result.truncated).toBe(true);
		expect(result.text.length).toBe(MAX_TEXT_CHARS);
		expect(pulled).toBeGreaterThanOrEqual(MAX_BODY_BYTES);
		expect(pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * chunk.byteLength);
		expect(cancelled).toBe(true);
	});

	it("cuts the body at exactly the byte limit", async () => {
		const { ctx } = context(() => new Response("x".repeat(5000), { headers: { "content-type": "text/plain" } }));
		const limits = { ...HTTP_FETCH_LIMITS, maxBodyBytes: 1000 };
		const result = ok(await httpFetch({ url: "https://example.com/", method: "GET" }, ctx, limits));
		expect(result).toMatchObject({ truncated: true, text: "x".repeat(1000) });
	});

	it("a cut inside UTF-8 drops the trailing replacement characters only (linear: a long run of them is no stall)", async () => {
		// 0xFF decodes to U+FFFD: an 'a' between two long runs of them, the body cut in the second.
		const body = new Uint8Array(300_001).fill(0xff);
		body[150_000] = 0x61;
		const { ctx } = context(() => new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } }));
		const limits = { ...HTTP_FETCH_LIMITS, maxBodyBytes: 300_000, maxTextChars: 1_000_000 };
		const result = ok(await httpFetch({ url: "https://example.com/", method: "GET" }, ctx, limits));
		expect(result.truncated).toBe(true);
		expect(result.text).toBe(`${"\ufffd".repeat(150_000)}a`);
	});

	it("caps the text at 20,000 characters", async () => {
		const { ctx } = context(() => html(`<p>${"word ".repeat(10_000)}</p>`));
		const result = ok(await run(ctx, "https://example.com/long"));
		expect(result.text.length).toBe(MAX_TEXT_CHARS);
		expect(result.truncated).toBe(true);
	});

	it("returns a failure when the server does not answer in time", async () => {
		const { ctx } = context(
			(_url, init) =>
				new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason))),
		);
		const limits = { ...HTTP_FETCH_LIMITS, timeoutMs: 50 };
		const result = failure(await httpFetch({ url: "https://slow.example.com/", method: "GET" }, ctx, limits));
		expect(result.error).toContain("timed out");
	});

	it("returns a failure when the body stalls past the timeout", async () => {
		const { ctx } = context(
			() =>
				new Response(
					new ReadableStream({
						start(controller) {
							controller.enqueue(new TextEncoder().encode("partial"));
						},
						// Never more, never closed.
					}),
					{ headers: { "content-type": "text/plain" } },
				),
		);
		const limits = { ...HTTP_FETCH_LIMITS, timeoutMs: 50 };
		const result = failure(await httpFetch({ url: "https://slow.example.com/", method: "GET" }, ctx, limits));
		expect(result.error).toContain("timed out");
	});

	it("returns a failure when the run is cancelled", async () => {
		const controller = new AbortController();
		const { ctx } = context((_url, init) => {
			const pending = new Promise<Response>((_resolve, reject) =>
				init.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
			);
			controller.abort(new Error("run stopped"));
			return pending;
		}, controller.signal);
		expect(failure(await run(ctx, "https://example.com/")).error).toContain("cancelled");
	});

	it("returns a failure on a network error", async () => {
		const { ctx } = context(() => {
			throw new TypeError("Network connection lost.");
		});
		const result = failure(await run(ctx, "https://down.example.com/"));
		expect(result.error).toBe("could not fetch https://down.example.com/: Network connection lost.");
	});

	it("says what workerd's opaque network error means, without its reference", async () => {
		const { ctx } = context(() => {
			throw new Error("internal error; reference = 8ak2h3b1l0q9f1k2");
		});
		const result = failure(await run(ctx, "https://gone.example.com:8443/x"));
		expect(result.error).toBe(
			"could not fetch https://gone.example.com:8443/x: could not connect to gone.example.com:8443 (connection refused, unknown host or no network)",
		);
		expect(result.error).not.toContain("reference");
	});

	it("does not read a binary body, but says its type and size", async () => {
		let pulled = false;
		const { ctx } = context(
			() =>
				new Response(
					new ReadableStream(
						{
							pull(controller) {
								pulled = true;
								controller.enqueue(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
								controller.close();
							},
							// No read-ahead: pull runs only if someone reads.
						},
						{ highWaterMark: 0 },
					),
					{ headers: { "content-type": "image/png", "content-length": "48213" } },
				),
		);
		const result = failure(await run(ctx, "https://example.com/logo.png"));
		expect(result.error).toContain("image/png");
		expect(result.error).toContain("48213 bytes");
		expect(result).toMatchObject({ status: 200, content_type: "image/png", content_length: 48213 });
		expect(pulled).toBe(false);
	});

	it("sniffs a body without a content type", async () => {
		const bare = (body: BodyInit) => {
			const response = new Response(body);
			response.headers.delete("content-type");
			return response;
		};
		const text = context(() => bare("hello"));
		expect(ok(await run(text.ctx, "https://example.com/a")).text).toBe("hello");
		const binary = context(() => bare(new Uint8Array([1, 0, 2, 0])));
		expect(failure(await run(binary.ctx, "https://example.com/b")).error).toContain("looks binary");
	});
});
