-- The sync server's schema on PostgreSQL: the same tables as the SQLite store (migrations
-- 0001 and 0002 of the parent folder), in PostgreSQL's types. Never edit this file once
-- landed: add a new numbered file instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One-time enrollment codes, stored only as SHA-256 hashes of the normalised code.
CREATE TABLE enrollment_codes (
    code_hash  BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),
    role       TEXT NOT NULL,
    venue      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    used_by    TEXT
);

-- Enrolled devices. The bearer token is stored only as its SHA-256 hash; public_key is the
-- device's ed25519 key (64 hex digits); revoked_at is set once, by HQ.
CREATE TABLE devices (
    replica_id  TEXT PRIMARY KEY,
    token_hash  BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    venue       TEXT,
    enrolled_at TIMESTAMPTZ NOT NULL,
    public_key  TEXT,
    revoked_at  TIMESTAMPTZ
);

-- The op log: every op exactly once, keyed by (author, counter). `body` is the op's JSON as
-- the author signed and sent it (TEXT, not JSONB: JSONB would reorder keys and a re-sent op
-- must compare byte for byte). `seq` numbers rows in commit order (appends take one advisory
-- lock), so that every server process in front of this database can catch up with the ops
-- the others stored: it reads the rows above the last `seq` it has seen.
CREATE TABLE ops (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    author  TEXT NOT NULL,
    counter BIGINT NOT NULL CHECK (counter > 0),
    kind    TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (author, counter)
);
