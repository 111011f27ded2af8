-- 0004: the people who sign in to this appliance's local web page (supervisors, operators). Owned by the hub
-- and applied from its feed (SiteUserUpserted / SiteUserRemoved), so sign-ins work with the uplink down.
-- password_hash: PBKDF2-SHA256 in EdgeMdm.Domain's self-describing format; the clear password never
-- reaches the site.
CREATE TABLE site_users (
    user_name     TEXT PRIMARY KEY,
    role          TEXT NOT NULL,           -- supervisor | operator
    password_hash TEXT NOT NULL,
    updated_at    INTEGER NOT NULL         -- when the hub made the change (Unix ms)
);
