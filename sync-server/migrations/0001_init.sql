-- The sync server's schema. Every op is stored once, keyed by (author, counter); the
-- contiguous frontier per author is derived from the ops at start and kept in memory.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One-time enrollment codes, stored only as SHA-256 hashes of the normalised code.
CREATE TABLE enrollment_codes (
    code_hash  BLOB PRIMARY KEY,
    role       TEXT NOT NULL,
    venue      TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    used_by    TEXT
) STRICT;

-- Enrolled devices. The bearer token is stored only as its SHA-256 hash.
CREATE TABLE devices (
    replica_id  TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    venue       TEXT,
    enrolled_at TEXT NOT NULL
) STRICT;

-- The op log: every op exactly once.
CREATE TABLE ops (
    author  TEXT NOT NULL,
    counter INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (author, counter)
) STRICT, WITHOUT ROWID;
