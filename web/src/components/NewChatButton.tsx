import { useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";

/** Makes an empty chat and opens it; a failure shows beside the button. */
export function NewChatButton({ session, navigate }: { session: Session; navigate: (route: Route) => void }) {
	const [error, setError] = useState<string | undefined>();
	const [busy, setBusy] = useState(false);

	const newChat = async () => {
		setBusy(true);
		setError(undefined);
		try {
			const chat = await session.newChat();
			navigate({ kind: "chat", id: chat.id });
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setBusy(false);
		}
	};

	return (
		<>
			<button type="button" class="small" onClick={newChat} disabled={busy}>
				New chat
			</button>
			{error && (
				<span class="error" role="alert">
					{error}
				</span>
			)}
		</>
	);
}
