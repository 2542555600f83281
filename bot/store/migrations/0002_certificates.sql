-- Registered certificates (public data only), audit trail, password locks, expiry notices.
CREATE TABLE certificates (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users(user_id),
    issuer_dn           TEXT NOT NULL,
    serial_hex          TEXT NOT NULL,
    subject_dn          TEXT NOT NULL,
    owner_name          TEXT NOT NULL,
    ca                  TEXT NOT NULL,
    policy_oid          TEXT,
    holder_type         TEXT NOT NULL,
    usage               TEXT NOT NULL,
    usage_purpose_ko    TEXT,
    usage_purpose_en    TEXT,
    not_before          TEXT NOT NULL,
    not_after           TEXT NOT NULL,
    fingerprint_sha256  TEXT NOT NULL,
    key_format          TEXT NOT NULL,
    cert_der            BLOB NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('active', 'released', 'expired')),
    registered_at       TEXT NOT NULL,
    ended_at            TEXT,
    release_reason      TEXT,
    release_note        TEXT
);
-- A certificate (issuer + serial) is active for at most one user at a time.
CREATE UNIQUE INDEX certificates_one_active ON certificates (issuer_dn, serial_hex)
    WHERE status = 'active';
CREATE INDEX certificates_by_user ON certificates (user_id, status);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    user_id         INTEGER,
    event           TEXT NOT NULL,
    certificate_id  INTEGER,
    detail          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_user ON audit_events (user_id, at);

-- Wrong-password counters and locks, per user ('user:<id>') and per certificate ('cert:<sha256>').
CREATE TABLE password_locks (
    scope         TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    updated_at    TEXT NOT NULL
);

CREATE TABLE expiry_notices (
    certificate_id  INTEGER NOT NULL REFERENCES certificates(id),
    days            INTEGER NOT NULL,
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (certificate_id, days)
);
