/** A same-page link: a real href (open in a new tab works), handled here on a plain click. */
export function onNavClick(event: MouseEvent, go: () => void): void {
	if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
	event.preventDefault();
	go();
}
