-- A scope's snapshot for a new device's first sync (docs/sync-spec.md §7c, issue 18): the
-- latest ledger file HQ made of each scope ('' the whole ledger, else its municipality codes
-- separated by spaces), with HQ's seal (JSON: the data's SHA-256 and length, the schema, the
-- scope, HQ's signature). A new one replaces the one before; devices verify the seal.
CREATE TABLE snapshots (
    scope TEXT PRIMARY KEY,
    seal  TEXT NOT NULL,
    data  BLOB NOT NULL
) STRICT;
