-- Issue 25: the site's alerts. One open alert per (kind, subject); clearing it keeps the row as history.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    message          TEXT NOT NULL,
    raised_at        INTEGER NOT NULL,
    cleared_at       INTEGER,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT,
    note             TEXT
);

CREATE UNIQUE INDEX alerts_open ON alerts (kind, subject) WHERE cleared_at IS NULL;
