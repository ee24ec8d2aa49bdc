/**
 * Whether a parsed JSON value nests deeper than `max` arrays/objects. Iterative, so a hostile
 * `[[[[…]]]]` can't overflow the stack here (and is refused before any recursive validation).
 */
export function tooDeep(value: unknown, max: number): boolean {
	const stack: [unknown, number][] = [[value, 0]];
	while (stack.length > 0) {
		const [node, depth] = stack.pop() as [unknown, number];
		if (node === null || typeof node !== "object") continue;
		if (depth >= max) return true;
		for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
	}
	return false;
}
