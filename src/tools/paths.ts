/**
 * Fixed limits of a user's workspace. Sizes and counts are settings (SPARKY_WORKSPACE_FILE_MB,
 * SPARKY_WORKSPACE_FILES, SPARKY_FILES_QUOTA_MB: `workspaceLimits` in workspace-files.ts).
 */
export const WORKSPACE_LIMITS = {
	pathChars: 256,
	segmentChars: 100,
	/** read_file returns at most this many characters at once. */
	readChars: 50_000,
} as const;

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Normalises a workspace path to `dir/file.ext`: `/`, `./` and `\` are accepted, `..` is
 * resolved, and a path that would leave the workspace is refused. Pure, so it runs anywhere.
 */
export function normalizePath(raw: string): PathCheck {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse.
	if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: "path contains control characters" };
	const segments: string[] = [];
	// Each segment is trimmed before it is read, so `" ../x.md"` is the `..` it becomes.
	for (const segment of raw
		.replace(/\\/g, "/")
		.split("/")
		.map((s) => s.trim())) {
		if (segment === "" || segment === ".") continue;
		if (segment === "..") {
			if (segments.length === 0) return { ok: false, reason: `path "${raw}" escapes the workspace` };
			segments.pop();
			continue;
		}
		if (segment.length > WORKSPACE_LIMITS.segmentChars) {
			return { ok: false, reason: `a path segment is over ${WORKSPACE_LIMITS.segmentChars} characters` };
		}
		segments.push(segment);
	}
	const path = segments.join("/");
	if (path === "") return { ok: false, reason: "path is empty (name a file, e.g. notes.md)" };
	if (path.length > WORKSPACE_LIMITS.pathChars) {
		return { ok: false, reason: `path is over ${WORKSPACE_LIMITS.pathChars} characters` };
	}
	return { ok: true, path };
}
