-- 0005: the package cache (issue 4). The hub owns the catalog and its signing key and sends them down the feed
-- (PackageSigningKey, PackagePublished); the site owns only what its blob directory holds (DATA/blobs).

-- The hub's public key that signs manifests; one row, replaced when the hub sends another.
CREATE TABLE package_signing_key (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    public_key_pem TEXT NOT NULL,          -- SubjectPublicKeyInfo PEM, handed to devices as is
    key_id         TEXT NOT NULL,          -- SHA-256 hex of the DER
    received_at    INTEGER NOT NULL        -- Unix ms
);

-- The signed manifests of the tenant's catalog, by content address. Applied by sha256: a repeat changes nothing.
CREATE TABLE packages (
    sha256         TEXT PRIMARY KEY,       -- lowercase hex
    package_name   TEXT NOT NULL,
    version_code   INTEGER NOT NULL,
    version_name   TEXT NOT NULL,
    size_bytes     INTEGER NOT NULL,
    min_os_version TEXT,                   -- NULL: any OS
    published_at   INTEGER NOT NULL,       -- Unix seconds, as signed
    signature      TEXT NOT NULL,          -- base64 ECDSA P-256 P1363 over the manifest's canonical bytes
    received_at    INTEGER NOT NULL        -- Unix ms
);

CREATE INDEX packages_name_version ON packages (package_name, version_code);

-- What the blob directory holds. A row exists once a fetch started; complete = 1 only after the file was
-- verified against its signed manifest and renamed to its final name. verified_size/verified_mtime_ticks are the
-- file's fingerprint when last verified: a file whose size or mtime moved since is hashed again before it is served.
CREATE TABLE package_cache (
    sha256               TEXT PRIMARY KEY,
    size_bytes           INTEGER NOT NULL,
    bytes_held           INTEGER NOT NULL,
    complete             INTEGER NOT NULL DEFAULT 0,
    verified_size        INTEGER,
    verified_mtime_ticks INTEGER,
    last_used_at         INTEGER NOT NULL  -- Unix ms; least recently used complete blobs are evicted first
);

-- Cache counters, one row, so 'edgemdm-edge cache status' in another process sees what serve counted.
CREATE TABLE package_cache_counters (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    hits            INTEGER NOT NULL DEFAULT 0,   -- downloads answered from the cache (200, 206, 304, HEAD)
    misses          INTEGER NOT NULL DEFAULT 0,   -- downloads answered 503 (named but not cached yet)
    fetch_failures  INTEGER NOT NULL DEFAULT 0,   -- fetched blobs that did not verify, and tampered files found
    quota_bytes     INTEGER NOT NULL DEFAULT 0    -- Edge:PackageCacheBytes of the running appliance
);

INSERT INTO package_cache_counters (id) VALUES (1);
