/** What the main pane shows, kept in the URL so a reload stays where it was. */
export type Route =
	| { kind: "home" }
	| { kind: "settings" }
	| { kind: "memory" }
	| { kind: "files" }
	| { kind: "usage" }
	| { kind: "admin" }
	| { kind: "chat"; id: string }
	| { kind: "task"; id: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export function parseRoute(pathname: string): Route {
	const [, kind, id, ...rest] = pathname.split("/");
	if ((kind === "chat" || kind === "task") && id && ID.test(id) && rest.length === 0) return { kind, id };
	if (isPanel(kind) && !id && rest.length === 0) return { kind };
	return { kind: "home" };
}

const PANELS = ["settings", "memory", "files", "usage", "admin"] as const;
const isPanel = (kind: string | undefined): kind is (typeof PANELS)[number] =>
	(PANELS as readonly (string | undefined)[]).includes(kind);

export function routePath(route: Route): string {
	if (route.kind === "home") return "/";
	return "id" in route ? `/${route.kind}/${route.id}` : `/${route.kind}`;
}

export function sameRoute(a: Route, b: Route): boolean {
	return routePath(a) === routePath(b);
}
