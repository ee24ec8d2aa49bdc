import type { Inputs } from "preact/hooks";
import { useEffect, useRef } from "preact/hooks";
import { copyText } from "../lib/clipboard.ts";

/** A code block's copy button (rendered into the Markdown's HTML): copies its code. */
async function onCodeCopy(event: MouseEvent): Promise<void> {
	const button = (event.target as Element | null)?.closest<HTMLButtonElement>("[data-copy-code]");
	const code = button?.parentElement?.querySelector("pre code")?.textContent;
	if (!button || code == null) return;
	const ok = await copyText(code);
	button.textContent = ok ? "Copied" : "Copy failed";
	setTimeout(() => {
		button.textContent = "Copy";
	}, 1_500);
}

/**
 * A ref for an element holding rendered Markdown: the copy buttons of its code blocks are in
 * that HTML, so one click listener on the element serves them all.
 */
export function useCodeCopy<T extends HTMLElement>(inputs: Inputs = []) {
	const ref = useRef<T>(null);
	useEffect(() => {
		const el = ref.current;
		if (!el) return;
		const onClick = (e: MouseEvent) => void onCodeCopy(e);
		el.addEventListener("click", onClick);
		return () => el.removeEventListener("click", onClick);
	}, inputs);
	return ref;
}
