// In-page checks: accessible names of form fields, and colour contrast of badges.
import type { Page } from "playwright-core";

/** Form fields without an accessible label (label[for], wrapping label, aria-label(ledby)). */
export function unlabelledFields(page: Page): Promise<string[]> {
	return page.evaluate(() =>
		[...document.querySelectorAll("input, textarea, select")]
			.filter((el) => {
				const field = el as HTMLInputElement;
				if (field.type === "hidden") return false;
				const byLabel = [...(field.labels ?? [])].some((l) => (l.textContent ?? "").trim() !== "");
				const byAria = (field.getAttribute("aria-label") ?? "").trim() !== "";
				const byRef = (field.getAttribute("aria-labelledby") ?? "")
					.split(/\s+/)
					.some((id) => (document.getElementById(id)?.textContent ?? "").trim() !== "");
				return !(byLabel || byAria || byRef);
			})
			.map((el) => el.outerHTML.slice(0, 120)),
	);
}

/** The element that has focus, described by its id, or role and text. */
export function focused(page: Page): Promise<string> {
	return page.evaluate(() => {
		const el = document.activeElement as HTMLElement | null;
		if (!el || el === document.body) return "body";
		return el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}:${(el.textContent ?? "").trim()}`;
	});
}

/**
 * WCAG contrast ratio of text and background for every element matching `selector`
 * (background read from the element itself: badges have their own).
 */
export function contrastRatios(page: Page, selector: string): Promise<{ text: string; ratio: number }[]> {
	return page.evaluate((sel) => {
		const channel = (c: number) => {
			const s = c / 255;
			return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
		};
		const luminance = (color: string) => {
			const [r = 0, g = 0, b = 0] = (color.match(/[\d.]+/g) ?? []).map(Number);
			return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
		};
		return [...document.querySelectorAll(sel)].map((el) => {
			const style = getComputedStyle(el);
			const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x) as [
				number,
				number,
			];
			return { text: `${el.className}: ${el.textContent}`, ratio: (a + 0.05) / (b + 0.05) };
		});
	}, selector);
}

/** Elements under `selector` that stick out of the viewport on the right (a layout that doesn't fit). */
export function sticksOut(page: Page, selector: string): Promise<string[]> {
	return page.evaluate(
		(sel) =>
			[...document.querySelectorAll(`${sel}, ${sel} *`)]
				.filter((el) => {
					const box = el.getBoundingClientRect();
					return box.width > 0 && box.right > window.innerWidth + 1;
				})
				.map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent ?? "").slice(0, 40)}`),
		selector,
	);
}
