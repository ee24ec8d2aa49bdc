import { useEffect, useState } from "preact/hooks";
import { copyText } from "../lib/clipboard.ts";

interface Props {
	/** What to copy (a function: read when pressed, e.g. a streaming message's text). */
	text: string | (() => string);
	/** What it copies, for screen readers: "Copy message", "Copy task id". */
	label: string;
	class?: string;
}

/** A small "Copy" button that says "Copied" for a moment (announced: its label changes). */
export function CopyButton({ text, label, class: extra }: Props) {
	const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
	useEffect(() => {
		if (state === "idle") return;
		const timer = setTimeout(() => setState("idle"), 1_500);
		return () => clearTimeout(timer);
	}, [state]);
	const copy = async () => setState((await copyText(typeof text === "function" ? text() : text)) ? "copied" : "failed");
	return (
		<button
			type="button"
			class={`copy-button${extra ? ` ${extra}` : ""}`}
			aria-label={state === "idle" ? label : undefined}
			data-copy-state={state}
			onClick={() => void copy()}
		>
			{state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : "Copy"}
		</button>
	);
}
