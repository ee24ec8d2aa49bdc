/** What the main pane shows, kept in the URL so a reload stays where it was. */
export type Route = { kind: "home" } | { kind: "chat"; id: string } | { kind: "task"; id: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export function parseRoute(pathname: string): Route {
	const [, kind, id, ...rest] = pathname.split("/");
	if ((kind === "chat" || kind === "task") && id && ID.test(id) && rest.length === 0) return { kind, id };
	return { kind: "home" };
}

export function routePath(route: Route): string {
	return route.kind === "home" ? "/" : `/${route.kind}/${route.id}`;
}

export function sameRoute(a: Route, b: Route): boolean {
	return routePath(a) === routePath(b);
}
