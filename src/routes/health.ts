import { Hono } from "hono";
import type { AppEnv } from "../http/auth.ts";

/** The only route without a token: for load balancers and `npm start` to know we're up. */
export const healthRoutes = new Hono<AppEnv>().get("/health", (c) => c.json({ ok: true, service: "sparky" }));
