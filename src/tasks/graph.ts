/**
 * Finds a cycle in a dependency graph (task → the tasks it waits for), or returns undefined.
 * Pure. Dependencies are fixed when a task is created and can only name tasks that already
 * exist, so a cycle can't be built through the API; this is the check that makes that a
 * guarantee rather than an accident (and refuses a task listed as its own dependency).
 */
export function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
	const state = new Map<string, "visiting" | "done">();
	const path: string[] = [];
	const visit = (node: string): string[] | undefined => {
		const seen = state.get(node);
		if (seen === "done") return undefined;
		if (seen === "visiting") return [...path.slice(path.indexOf(node)), node];
		state.set(node, "visiting");
		path.push(node);
		for (const next of edges.get(node) ?? []) {
			const cycle = visit(next);
			if (cycle) return cycle;
		}
		path.pop();
		state.set(node, "done");
		return undefined;
	};
	for (const node of edges.keys()) {
		const cycle = visit(node);
		if (cycle) return cycle;
	}
	return undefined;
}
