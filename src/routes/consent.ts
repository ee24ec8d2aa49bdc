import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { depsFor } from "../deps.ts";
import { forbidden, unavailable } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { jsonBody } from "../http/validate.ts";
import { decideConsent, startConsent } from "../oauth/consent.ts";
import { oauthHelpers, oauthOrigin } from "../oauth/server.ts";
import { ConsentDecisionBodySchema, ConsentStartBodySchema } from "../protocol/index.ts";

/** The page's own calls only: a browser that says the call came from another site is refused. */
const sameOriginOnly = createMiddleware<AppEnv>(async (c, next) => {
	const site = c.req.header("Sec-Fetch-Site");
	if (site && site !== "same-origin") throw forbidden("the consent screen answers only its own page");
	await next();
});

const helpersFor = (env: Env, url: string) => {
	const oauth = oauthHelpers(env, oauthOrigin(env, url));
	if (!oauth) throw unavailable("OAuth is not available at this address (it needs https, or http on loopback)");
	return oauth;
};

/**
 * `/api/oauth/authorize`: the consent screen's two steps, for the signed-in user
 * (oauth/consent.ts). The answers carry the consent's binding cookie (set, then cleared).
 */
export const consentRoutes = new Hono<AppEnv>()
	.use(requireAuth, sameOriginOnly)
	// Each consent begun is a stored transaction (KV): begun at the `apps` rate, which so bounds
	// the apps connected too (each approval takes a consent, once).
	.post("/", rateLimit("apps"), jsonBody(ConsentStartBodySchema), async (c) => {
		const origin = oauthOrigin(c.env, c.req.url);
		const started = await startConsent(helpersFor(c.env, c.req.url), origin, c.req.valid("json").query);
		if ("redirectTo" in started) return c.json({ redirect_to: started.redirectTo });
		return c.json({ consent: started.consent }, 200, headerRecord(started.headers));
	})
	.post("/decision", jsonBody(ConsentDecisionBodySchema), async (c) => {
		const oauth = helpersFor(c.env, c.req.url);
		const decided = await decideConsent(depsFor(c.env), oauth, c.req.raw, c.req.valid("json"), c.var.auth);
		return c.json({ redirect_to: decided.redirectTo }, 200, headerRecord(decided.headers));
	});

/** The library's headers (Set-Cookie may repeat) as hono's header list. */
function headerRecord(headers: Headers): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const [name, value] of headers) out[name] = name === "set-cookie" ? headers.getSetCookie() : value;
	return out;
}
