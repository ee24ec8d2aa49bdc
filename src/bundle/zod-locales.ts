// Bundler shim (wrangler.toml [alias] "../locales/index.js"): zod's `locales` namespace with
// English only. zod re-exports all of its 60-odd locales as `z.locales` / `z.core.locales`,
// and the AI SDK providers' `import { z } from "zod/v4"` keeps that namespace in the bundle
// (364 KiB). The Worker speaks English: zod sets `en` itself, and nothing reads `z.locales`.
export { default as en } from "zod/v4/locales/en.js";
