-- Issue 27: central IT roles (EdgeMdm.Domain.Security.HubRoles). Every account and API token has a role; a
-- site-operator also a site scope (site ids joined by a space; NULL for the other roles, which reach every site).
-- Accounts and tokens from before roles could do everything in their tenant: they become tenant admins.
ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'tenant-admin';
ALTER TABLE accounts ADD COLUMN sites TEXT;
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'tenant-admin';
ALTER TABLE api_tokens ADD COLUMN sites TEXT;
-- Tokens of 'admin-token create' never expired; from the upgrade they last the default lifetime of a new one (30 days).
-- (Same statement as the SQLite file but for the clock, PostgreSQL's now(): this is why the step is written per backend.)
UPDATE api_tokens SET expires_at = (CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) + 30 * 86400) * 1000 WHERE expires_at IS NULL;
