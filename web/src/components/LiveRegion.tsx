/**
 * A polite live region: screen readers say what it shows when it changes (an answer finished,
 * a task's status, an approval waiting). The same text twice still changes (an invisible
 * marker alternates), so the second one is heard too.
 */
export function LiveRegion({ text, count }: { text: string; count: number }) {
	return (
		<div class="visually-hidden" aria-live="polite" aria-atomic="true" data-live-region>
			{text}
			{count % 2 === 1 ? "\u00a0" : ""}
		</div>
	);
}
