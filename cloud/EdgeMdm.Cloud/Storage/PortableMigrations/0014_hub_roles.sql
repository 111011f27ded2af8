-- Issue 27: central IT roles (EdgeMdm.Domain.Security.HubRoles). Every account and API token has a role; a
-- site-operator also a site scope (site ids joined by a space; NULL for the other roles, which reach every site).
-- Accounts and tokens from before roles could do everything in their tenant: they become tenant admins.
-- Tokens of 'admin-token create' that never expired get an expiry when the hub next starts (AccountServices
-- .StartAccountsAsync): the time is the hub's clock, which one portable statement cannot read.
ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'tenant-admin';
ALTER TABLE accounts ADD COLUMN sites TEXT;
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'tenant-admin';
ALTER TABLE api_tokens ADD COLUMN sites TEXT;
