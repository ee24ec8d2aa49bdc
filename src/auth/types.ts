/** Token id of the bootstrap credential from the SPARKY_ADMIN_TOKEN secret. */
export const ADMIN_SECRET_TOKEN_ID = "admin_secret";
/** The user the bootstrap credential acts as (created by schema.sql). */
export const ADMIN_USER_ID = "admin";
