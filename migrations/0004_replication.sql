-- 0004: replication (issue 5; docs/sync-spec.md §8).
-- Never edit this file once landed: add a new numbered file instead.
--
-- The op log: every op this replica holds, its own and other replicas', exactly once. A local
-- write stores its op in the same transaction as its rows; a received batch stores its ops and
-- the rows they imply in one transaction. The tables of 0001-0003 are what the desks read.

CREATE TABLE sync_ops (
    -- the author's ReplicaId (UUID text) and its counter (1, 2, 3, ... without gaps per author)
    author  TEXT    NOT NULL,
    counter INTEGER NOT NULL CHECK (counter >= 1),
    -- the op as JSON (vax_sync::Op), exactly as received or written
    body    TEXT    NOT NULL,
    PRIMARY KEY (author, counter)
) WITHOUT ROWID;

-- For each author held, the counter up to which every op is held (the `seen` version vector).
CREATE TABLE sync_frontier (
    author TEXT    PRIMARY KEY,
    seen   INTEGER NOT NULL CHECK (seen >= 0)
) WITHOUT ROWID;

-- Received ops not yet written into the tables above, and why: their resident, venue, band or
-- target has not arrived yet (retried after each complete exchange), or the tables cannot hold
-- them (shown to people in the sync status; the op itself is kept and relayed all the same).
CREATE TABLE sync_unprojected (
    author  TEXT    NOT NULL,
    counter INTEGER NOT NULL,
    reason  TEXT    NOT NULL,
    PRIMARY KEY (author, counter)
) WITHOUT ROWID;
