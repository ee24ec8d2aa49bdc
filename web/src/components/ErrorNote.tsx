/** A failed action's message, announced to screen readers (`role="alert"`); nothing without one. */
export function ErrorNote({ error }: { error: string | undefined | null | false }) {
	return error ? (
		<p class="error" role="alert">
			{error}
		</p>
	) : null;
}
