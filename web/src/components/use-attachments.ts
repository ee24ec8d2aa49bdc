import type { TargetedClipboardEvent, TargetedDragEvent } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { AttachmentTray } from "../state/attachments.ts";
import type { SessionFiles } from "../state/files.ts";

type DragHandler = (e: TargetedDragEvent<HTMLElement>) => void;

export interface DropTarget {
	onDragEnter: DragHandler;
	onDragOver: DragHandler;
	onDragLeave: DragHandler;
	onDrop: DragHandler;
	/** Files are being dragged over it (the page shows where they will go). */
	"data-dropping": "true" | undefined;
}

export interface Attachments {
	tray: AttachmentTray;
	/** Spread on the element files may be dropped on. */
	dropTarget: DropTarget;
	/** On the text box: a pasted image (or file) is attached instead of pasted as text. */
	onPaste: (e: TargetedClipboardEvent<HTMLElement>) => void;
}

/** Whether a drag carries files (not text or a link dragged within the page). */
const carriesFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");

/**
 * An attachment tray for a form: files come from its Attach button, a drop on its target, or
 * a paste into its text box. The tray's uploads stop when the form goes away.
 */
export function useAttachments(files: SessionFiles): Attachments {
	const [, setVersion] = useState(0);
	const [dropping, setDropping] = useState(false);
	const tray = useMemo(() => new AttachmentTray(files.upload, files.remove, () => setVersion((v) => v + 1)), [files]);
	useEffect(() => () => tray.dispose(), [tray]);
	// A file dropped beside the target would make the browser leave the page to show it.
	useEffect(() => {
		const refuse = (e: DragEvent) => {
			if (carriesFiles(e)) e.preventDefault();
		};
		window.addEventListener("dragover", refuse);
		window.addEventListener("drop", refuse);
		return () => {
			window.removeEventListener("dragover", refuse);
			window.removeEventListener("drop", refuse);
		};
	}, []);

	const over: DragHandler = (e) => {
		if (!carriesFiles(e)) return;
		e.preventDefault(); // a drop is welcome here
		if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
		setDropping(true);
	};
	const dropTarget: DropTarget = {
		onDragEnter: over,
		onDragOver: over,
		onDragLeave: (e) => {
			// Leaving for one of its own children is still over it.
			const to = e.relatedTarget as Node | null;
			if (!to || !e.currentTarget.contains(to)) setDropping(false);
		},
		onDrop: (e) => {
			setDropping(false);
			const dropped = e.dataTransfer?.files;
			if (!dropped || dropped.length === 0) return;
			e.preventDefault(); // else the browser opens the file in place of the page
			tray.add(dropped);
		},
		"data-dropping": dropping ? "true" : undefined,
	};
	const onPaste = (e: TargetedClipboardEvent<HTMLElement>) => {
		const pasted = e.clipboardData?.files;
		if (!pasted || pasted.length === 0) return;
		e.preventDefault();
		tray.add(pasted);
	};
	return { tray, dropTarget, onPaste };
}
