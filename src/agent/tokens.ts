/**
 * A token estimate that errs high, so a prompt measured by it fits the model: about four
 * characters of ASCII per token (English text and code run three to five), and one token per
 * character of anything else (CJK is about one; accented Latin less). No tokenizer: none is
 * exact for every provider, and they are megabytes a Worker would load on every run.
 */
export function estimateTokens(text: string): number {
	let ascii = 0;
	let other = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 128) ascii++;
		// A surrogate pair is one character: count it once.
		else if (code < 0xdc00 || code > 0xdfff) other++;
	}
	return Math.ceil(ascii / 4 + other);
}

/**
 * What one chat message of this text costs as it travels: the text JSON-escaped (a newline or
 * a quote is two characters on the wire), plus its role and the punctuation around it.
 */
export function messageTextTokens(text: string): number {
	return estimateTokens(JSON.stringify(text)) + MESSAGE_OVERHEAD_TOKENS;
}

/** A message's role, its braces and keys: `{"role":"assistant","content":…}` and a provider's framing. */
export const MESSAGE_OVERHEAD_TOKENS = 8;

/**
 * `text` within `maxTokens`, cut visibly: its start, then "… [cut: 12,345 characters]" saying how
 * much was left out. Unchanged when it fits; never less than the marker itself.
 */
export function cutText(text: string, maxTokens: number): string {
	if (estimateTokens(text) <= maxTokens) return text;
	const room = maxTokens - estimateTokens(cutMarker(text.length));
	let ascii = 0;
	let other = 0;
	let end = 0;
	while (end < text.length) {
		const code = text.codePointAt(end) as number;
		const isAscii = code < 128;
		if (Math.ceil((ascii + (isAscii ? 1 : 0)) / 4 + other + (isAscii ? 0 : 1)) > room) break;
		if (isAscii) ascii++;
		else other++;
		end += code > 0xffff ? 2 : 1;
	}
	return `${text.slice(0, end)}${cutMarker(characters(text, end))}`;
}

function cutMarker(left: number): string {
	return `… [cut: ${left.toLocaleString("en-US")} characters]`;
}

/** Characters (code points, as people count them) from `from` to the end. */
function characters(text: string, from: number): number {
	let n = 0;
	for (let i = from; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0xdc00 || code > 0xdfff) n++;
	}
	return n;
}
