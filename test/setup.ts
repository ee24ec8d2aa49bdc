import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Every test file starts from migrations/ applied in order (recorded in d1_migrations), exactly as
// `npm run migrate` leaves a fresh or upgraded install; applying again is a no-op.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
