-- Issue 6: tenants, central IT accounts and site users. The same text for both backends.
-- An existing hub becomes the tenant 'default': every site, blueprint and API token it holds moves into it.

-- A hub serves several tenants (an MSP's customers, separate business units). Everything central IT sees
-- is reached through a tenant: sites (and through them devices, commands, tokens, feeds), blueprints,
-- accounts and API tokens. created_at 0: made by this migration.
CREATE TABLE tenants (
    tenant_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO tenants (tenant_id, name, created_at) VALUES ('default', 'default', 0);

-- Site ids stay unique across the hub (the sync protocol names a site by its id alone); a site belongs to
-- one tenant. No REFERENCES here: SQLite cannot add a foreign-key column with a non-NULL default.
ALTER TABLE sites ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX sites_by_tenant ON sites (tenant_id, site_id);

-- Blueprints are keyed by tenant and group: two tenants may each have their 'pickers'. SQLite cannot change
-- a primary key in place, so the table is rebuilt (which PostgreSQL runs as well).
CREATE TABLE tenant_blueprints (
    tenant_id      TEXT NOT NULL REFERENCES tenants (tenant_id),
    group_name     TEXT NOT NULL,
    blueprint_json TEXT NOT NULL,
    token          TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, group_name)
);
INSERT INTO tenant_blueprints (tenant_id, group_name, blueprint_json, token, updated_at)
    SELECT 'default', group_name, blueprint_json, token, updated_at FROM blueprints;
DROP TABLE blueprints;
ALTER TABLE tenant_blueprints RENAME TO blueprints;

-- Central IT's people, per tenant. password_hash: PBKDF2-SHA256, self-describing (EdgeMdm.Domain PasswordHash).
CREATE TABLE accounts (
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    user_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_name)
);

-- An API token acts inside its tenant. account_name: the account a sign-in issued it to (removing the account
-- removes its tokens); NULL for a token the hub operator created. expires_at: NULL for never.
ALTER TABLE api_tokens ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_tokens ADD COLUMN account_name TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX api_tokens_by_account ON api_tokens (tenant_id, account_name);

-- The people who sign in to a site's appliance (supervisors, operators). Owned by the hub, sent down the
-- site's feed (hash only), so the appliance checks them with its uplink down.
CREATE TABLE site_users (
    site_id       TEXT NOT NULL REFERENCES sites (site_id),
    user_name     TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (site_id, user_name)
);
