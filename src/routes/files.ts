import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { invalid } from "../errors.ts";
import { multipartBoundary } from "../files/multipart.ts";
import { deleteFile, listFiles, openFileBytes, ownFile, ownFileRow } from "../files/service.ts";
import { isSafeImage } from "../files/sniff.ts";
import { uploadFile } from "../files/upload.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { paramsOf, queryOf } from "../http/validate.ts";
import { FileIdSchema, ListFilesQuerySchema, UploadFileQuerySchema } from "../protocol/index.ts";
import type { FileRow } from "../storage/files.ts";

const FileParams = z.object({ id: FileIdSchema });

/**
 * Files, under /api/files: always the caller's own (another user's id is a 404, as for
 * memories). The upload streams its body (app.ts leaves it out of the 1 MiB body limit: the
 * upload caps itself), and the content is served as bytes that never run: see `contentHeaders`.
 */
export const filesRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.post("/", queryOf(UploadFileQuerySchema), async (c) => {
		const file = await uploadFile(c.env, c.var.auth.userId, {
			body: c.req.raw.body,
			boundary: multipartBoundary(c.req.header("Content-Type")),
			contentLength: declaredLength(c.req.header("Content-Length")),
			name: c.req.valid("query").name,
		});
		return c.json({ file }, 201);
	})
	.get("/", queryOf(ListFilesQuerySchema), async (c) => {
		return c.json(await listFiles(c.env, c.var.auth.userId, c.req.valid("query")));
	})
	.get("/:id", paramsOf(FileParams), async (c) => {
		return c.json({ file: await ownFile(c.env, c.var.auth.userId, c.req.valid("param").id) });
	})
	.get("/:id/content", paramsOf(FileParams), async (c) => {
		const row = await ownFileRow(c.env, c.var.auth.userId, c.req.valid("param").id);
		const headers = contentHeaders(row);
		if (c.req.header("If-None-Match") === headers.ETag) return c.body(null, 304, headers);
		const object = await openFileBytes(c.env, row);
		return c.body(object.body, 200, { ...headers, "Content-Length": String(object.size) });
	})
	.delete("/:id", paramsOf(FileParams), async (c) => {
		await deleteFile(c.env, c.var.auth.userId, c.req.valid("param").id);
		return c.body(null, 204);
	});

/** The Content-Length a request declared, or undefined (chunked); anything but digits is a 400. */
function declaredLength(header: string | undefined): number | undefined {
	if (header === undefined) return undefined;
	if (!/^\d{1,15}$/.test(header.trim())) throw invalid("Content-Length must be a number of bytes");
	return Number(header.trim());
}

/** Types whose bytes are text: served with their charset. */
const TEXT_TYPES = /^(text\/|application\/(json|xml)$|image\/svg\+xml$)/;

/**
 * What a file is served with: its sniffed type (never the uploader's word), `nosniff` so the
 * browser takes it at that, `attachment` unless it is an image a browser only ever shows,
 * and (app.ts) a sandboxing CSP: an HTML file opened from here runs nothing, reaches nothing.
 * The ETag is the content's hash, so a copy a browser kept is checked, not fetched again.
 */
export function contentHeaders(row: FileRow): Record<string, string> {
	const disposition = isSafeImage(row.type) ? "inline" : "attachment";
	return {
		"Content-Type": TEXT_TYPES.test(row.type) ? `${row.type}; charset=utf-8` : row.type,
		"Content-Disposition": `${disposition}; filename="${asciiName(row.name)}"; filename*=UTF-8''${rfc5987(row.name)}`,
		"X-Content-Type-Options": "nosniff",
		ETag: `"${row.sha256 ?? ""}"`,
		"Cache-Control": "private, no-cache",
	};
}

/** The name for clients that don't read `filename*`: printable ASCII, no quote or backslash. */
const asciiName = (name: string) => name.replace(/[^\x20-\x7e]|["\\%]/g, "_");

/** RFC 5987 / 8187 `value-chars`: encodeURIComponent leaves `'()*` alone, which they may not be. */
const rfc5987 = (name: string) =>
	encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A file's bytes are the user's, not the API's: the CSP of every /api answer (security-headers)
 * gets `sandbox` in front. Mounted in app.ts ahead of securityHeaders, so its part runs after it.
 */
export const sandboxFileContent = createMiddleware(async (c, next) => {
	await next();
	const policy = c.res.headers.get("Content-Security-Policy");
	c.res.headers.set("Content-Security-Policy", policy ? `sandbox; ${policy}` : "sandbox");
});
