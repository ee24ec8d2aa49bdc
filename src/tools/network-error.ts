/**
 * What a failed fetch means, in words the model and the page can use. workerd reports a
 * refused connection, a failed DNS lookup or an unreachable network as an opaque "internal
 * error; reference = …" (the details stay in its own log): this says what it means instead.
 * Messages are capped: a long one is noise to the model.
 */
export function networkErrorText(error: unknown, host: string, max = 300): string {
	const text = error instanceof Error ? error.message : String(error);
	if (isOpaque(text)) return `could not connect to ${host} (connection refused, unknown host or no network)`;
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** workerd's "internal error; reference = <id>", alone or at the end of a library's message. */
export function isOpaque(text: string): boolean {
	return /(^|: )internal error(; reference = \S+)?$/i.test(text.trim());
}
