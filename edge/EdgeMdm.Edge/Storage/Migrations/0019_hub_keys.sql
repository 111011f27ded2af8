-- Issue 27: the hub keys this appliance trusts to sign the hub's feed (sync.proto HubKeyTrusted). The first arrives
-- as the anchor at the head of the site's feed over the authenticated sync channel; each later one only when
-- endorsed by the key it replaces, which is retired then. Exactly one row has retired_at NULL once the first key is
-- trusted: the key every feed change must be signed by. A retired key is kept so a refusal can say "retired".
CREATE TABLE hub_keys (
    key_id          TEXT PRIMARY KEY,
    public_key_pem  TEXT NOT NULL,
    trusted_at      INTEGER NOT NULL,   -- the feed time (Unix ms) of the change that made it trusted
    retired_at      INTEGER             -- NULL: the current key
);
