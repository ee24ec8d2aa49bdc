#!/usr/bin/env node
// `npm test`'s first step for the wrangler dev suites: the Worker bundled once, the way
// wrangler dev bundles it, kept in .wrangler/prebuilt (scripts/lib/dev-prep.mjs says why).
import "./lib/node-check.mjs";
import { PREBUILT_DIR, prebuildDevBundle } from "./lib/dev-prep.mjs";

await prebuildDevBundle();
console.log(`wrangler dev's bundle kept in ${PREBUILT_DIR}`);
