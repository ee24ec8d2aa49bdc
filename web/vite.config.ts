import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The web page: Preact + TypeScript, built to web/dist and served by the Worker as static
 * assets (wrangler.toml `[assets]`). `npm start` and `npm test` build it; `npx vite -c
 * web/vite.config.ts` serves it with hot reload, proxying /api to `npm start`'s Worker.
 */
export default defineConfig({
	root,
	base: "/",
	// public/_headers: the page's security headers (CSP with frame-ancestors, X-Frame-Options).
	publicDir: "public",
	clearScreen: false,
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	build: {
		outDir: "dist",
		emptyOutDir: true,
		target: "es2022",
		// No source maps in the build: web/dist is served as is, and the map is the whole source.
		sourcemap: false,
		// One small bundle; no external requests of any kind (fonts, CDNs).
		assetsInlineLimit: 0,
	},
	server: {
		host: "127.0.0.1",
		proxy: { "/api": { target: `http://127.0.0.1:${process.env.PORT ?? 8787}`, ws: true } },
	},
});
