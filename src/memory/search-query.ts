/**
 * A person's (or a model's) search text as an FTS5 expression. The text is data: it is split
 * into words (letters and digits, any script) and each word is quoted, so FTS5's syntax
 * (`"`, `*`, `NEAR`, `-`, `OR`, `AND`, `NOT`, `:`, `^`, parentheses) can never error or change
 * what is asked. Words are ORed (bm25 ranks memories with more of them first) and each is
 * also a prefix ("colour" finds "colours").
 */

const MAX_TERMS = 16;
/** Words too common to say anything about which memory is meant, dropped unless nothing else is left. */
const STOP_WORDS = new Set(
	"a an and are as at be by did do does for from had has have how i in is it me my of on or so the to was were what when where which who why will with you your".split(
		" ",
	),
);

/** The words of a query, lower-cased, without repeats (at most 16). */
export function queryTerms(text: string): string[] {
	const words = [
		...new Set(
			(
				text
					.normalize("NFKC")
					.toLowerCase()
					.match(/[\p{L}\p{N}]+/gu) ?? []
			).slice(0, 64),
		),
	];
	const meaningful = words.filter((w) => !STOP_WORDS.has(w));
	return (meaningful.length > 0 ? meaningful : words).slice(0, MAX_TERMS);
}

/** The FTS5 expression for a query, or undefined when it has no words at all. */
export function ftsQuery(text: string): string | undefined {
	const terms = queryTerms(text);
	if (terms.length === 0) return undefined;
	// Terms hold only letters and digits, so quoting them needs no escaping.
	return terms.map((t) => `"${t}"*`).join(" OR ");
}
