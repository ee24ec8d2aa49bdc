/**
 * `text` less its trailing characters that are in `chars`. A loop, not a `/[…]+$/` regex: on a
 * long run of them followed by another character such a regex takes quadratic time, and the
 * text is often a user's (a file name, a fetched page, a PDF's line).
 */
export function withoutTrailing(text: string, chars: string): string {
	let end = text.length;
	while (end > 0 && chars.includes(text[end - 1] as string)) end--;
	return text.slice(0, end);
}
