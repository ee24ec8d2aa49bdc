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
	publicDir: false,
	clearScreen: false,
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	build: {
		outDir: "dist",
		emptyOutDir: true,
		target: "es2022",
		sourcemap: true,
		// One small bundle; no external requests of any kind (fonts, CDNs).
		assetsInlineLimit: 0,
	},
	server: {
		host: "127.0.0.1",
		proxy: { "/api": { target: `http://127.0.0.1:${process.env.PORT ?? 8787}`, ws: true } },
	},
});
