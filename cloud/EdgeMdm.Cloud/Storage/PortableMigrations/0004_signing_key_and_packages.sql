-- Issue 4: the hub's package signing key and each tenant's package catalog. The same text for both backends.

-- The ECDSA P-256 key that signs package manifests, kept in the database so that every hub replica on one
-- PostgreSQL signs with the same key. Created once, on the first start, under the catalog lock. key_id: SHA-256
-- hex of the public key (SubjectPublicKeyInfo DER); private_key_pem: unencrypted PKCS#8, protected like the
-- rest of the database. One row today; the table has room for a rotation.
CREATE TABLE signing_keys (
    key_id          TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- A tenant's published packages: the signed manifest of each. The file itself lives in the blob directory
-- under its sha256 (content-addressed, shared by tenants that upload the same bytes). published_at: Unix
-- seconds, exactly what was signed. min_os_version NULL: any OS. key_id: the key that made the signature.
CREATE TABLE packages (
    tenant_id      TEXT NOT NULL REFERENCES tenants (tenant_id),
    sha256         TEXT NOT NULL,
    package_name   TEXT NOT NULL,
    version_code   BIGINT NOT NULL,
    version_name   TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    min_os_version TEXT,
    published_at   BIGINT NOT NULL,
    signature      TEXT NOT NULL,
    key_id         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, sha256),
    UNIQUE (tenant_id, package_name, version_code)
);
