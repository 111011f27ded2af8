-- Issue 27: the audit trail at the hub. One hash chain per tenant for the hub's own changes (chain 'tenant:{id}') and
-- one per site for what the site sent (chain 'site:{id}', SiteChange AuditRecorded, stored as it came, once each: keyed
-- by chain and index, so a replay inserts nothing). Rows are only appended. sequence: the order the hub received a
-- site's records in (its log position), or the index for the hub's own; verification reads each chain by it
-- (EdgeMdm.Domain.Chains.ChainVerifier). audit_heads: each chain's last record, kept apart from the records so that the
-- last ones removed, or the last one edited and its hash recomputed, still show; a hub append locks its chain's head
-- row first, which orders appends from several replicas. The same text for both backends.
CREATE TABLE audit_records (
    tenant_id     TEXT NOT NULL,
    chain         TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    source        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL,
    sequence      BIGINT NOT NULL,
    PRIMARY KEY (chain, idx)
);

CREATE INDEX audit_records_by_time ON audit_records (tenant_id, at);

CREATE TABLE audit_heads (
    chain     TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    idx       BIGINT NOT NULL,
    hash      TEXT NOT NULL
);
