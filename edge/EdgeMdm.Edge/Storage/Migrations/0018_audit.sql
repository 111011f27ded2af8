-- Issue 27: the site's audit trail. One hash chain (EdgeMdm.Domain.Audit.AuditChain, chain name "site"): idx 0, 1,
-- 2... each row holding the hash of the one before. Rows are only ever appended, in the writer unit of the change
-- they record; verification reads them in rowid order, so a row moved or renumbered shows.
CREATE TABLE audit_records (
    idx           INTEGER NOT NULL UNIQUE,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    source        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL
);

CREATE INDEX audit_records_by_time ON audit_records (at);

-- A feed change applied again after a lost sync cursor is recorded once (IAuditLog.RecordOnce looks it up by its detail).
CREATE INDEX audit_records_by_detail ON audit_records (source, detail);
