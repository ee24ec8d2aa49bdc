import { useState } from "preact/hooks";

/** A new token's secret: shown this once, with a copy button. */
export function TokenReveal({ secret, onDone }: { secret: string; onDone: () => void }) {
	const [copied, setCopied] = useState<string | undefined>();
	const copy = async () => {
		try {
			await navigator.clipboard.writeText(secret);
			setCopied("Copied.");
		} catch {
			setCopied("Copying is blocked here: select the token and copy it yourself.");
		}
	};
	return (
		<div class="token-reveal">
			<p id="token-reveal-note">
				<strong>The new token, shown only this once.</strong> Copy it now: Sparky keeps only its hash.
			</p>
			<div class="token-row">
				<label for="token-secret" class="visually-hidden">
					New token
				</label>
				<input
					id="token-secret"
					class="token-secret"
					readOnly
					value={secret}
					onFocus={(e) => e.currentTarget.select()}
				/>
				<button type="button" class="small" onClick={() => void copy()}>
					Copy
				</button>
				<button type="button" class="quiet small" onClick={onDone}>
					Done
				</button>
			</div>
			<p role="status" class="muted">
				{copied}
			</p>
		</div>
	);
}
