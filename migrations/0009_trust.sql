-- 0009: only authentic ops and quarantine (issue 15; docs/sync-spec.md §3a, §8).
-- Never edit this file once landed: add a new numbered file instead.
--
-- The device's own private signing key lives in device_settings (`sync.signing_key`, made at
-- enrollment). SQLCipher encryption at rest is the next step and not done here: until then the
-- key is as safe as the ledger file.

-- The public keys of the other replicas whose ops this ledger holds, as the sync server handed
-- them on with their ops: every received op is verified with its author's key before it is
-- stored, and a replica's key never changes.
CREATE TABLE sync_keys (
    replica    TEXT PRIMARY KEY,
    -- 64 hex digits (ed25519 public key)
    public_key TEXT NOT NULL
) WITHOUT ROWID;

-- This device's own ops that the sync server refused for good, with the server's code and
-- reason. They stay in sync_ops (and their rows in the desk's tables) but are never sent again,
-- so the rest of the log keeps syncing; the sync status shows them to the venue and HQ.
CREATE TABLE sync_quarantine (
    author          TEXT    NOT NULL,
    counter         INTEGER NOT NULL,
    code            TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    quarantined_at  TEXT    NOT NULL,
    PRIMARY KEY (author, counter)
) WITHOUT ROWID;
