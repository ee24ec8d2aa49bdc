import { Hono } from "hono";
import { notFound } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { paramsOf } from "../http/validate.ts";
import { listConnectedApps, revokeConnectedApp } from "../oauth/apps.ts";
import { oauthHelpers, oauthOrigin } from "../oauth/server.ts";
import { ConnectedAppParamsSchema } from "../protocol/index.ts";

/**
 * `/api/connected-apps`: the apps the caller connected to `/mcp` with OAuth, and revoking one
 * (its tokens stop working at once; the app must ask again).
 */
export const connectedAppsRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => {
		const oauth = oauthHelpers(c.env, oauthOrigin(c.env, c.req.url));
		return c.json({ connected_apps: oauth ? await listConnectedApps(oauth, c.var.auth.userId) : [] });
	})
	.delete("/:id", paramsOf(ConnectedAppParamsSchema), async (c) => {
		const { id } = c.req.valid("param");
		const oauth = oauthHelpers(c.env, oauthOrigin(c.env, c.req.url));
		if (!oauth) throw notFound(`connected app ${id}`);
		await revokeConnectedApp(oauth, c.var.auth.userId, id);
		return c.body(null, 204);
	});
