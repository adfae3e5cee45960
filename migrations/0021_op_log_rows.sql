-- 0021: the op log as an ordinary (rowid) table (issue 18, a faster first sync).
-- Never edit this file once landed: add a new numbered file instead.
--
-- 0004 made `sync_ops` a WITHOUT ROWID table. Its rows live in an index b-tree, where SQLite
-- keeps at most about 1,000 bytes of a row on a 4 KiB page and moves the rest to an overflow
-- page of its own: every op that sets a resident's register fields (800-1,000 bytes) took
-- three pages, two of them nearly empty. The 65,000-resident city's 179,312 ops (112 MB of
-- JSON) filled 328 MB, and a new device's first sync wrote all of it through the WAL.
-- A rowid table keeps rows up to 4,061 bytes on their leaf page; the op's identity stays
-- unique through the (author, counter) index, which every read of the log goes through.

CREATE TABLE sync_ops_0021 (
    -- the author's ReplicaId (UUID text) and its counter (1, 2, 3, ... without gaps per author)
    author  TEXT    NOT NULL,
    counter INTEGER NOT NULL CHECK (counter >= 1),
    -- the op as JSON (vax_sync::Op), exactly as received or written
    body    TEXT    NOT NULL,
    UNIQUE (author, counter)
);

INSERT INTO sync_ops_0021 (author, counter, body)
SELECT author, counter, body FROM sync_ops ORDER BY author, counter;

-- Dropping the table drops its trigger (0017's dash_op_stored); it is made again below,
-- unchanged, on the new table.
DROP TABLE sync_ops;
ALTER TABLE sync_ops_0021 RENAME TO sync_ops;

CREATE TRIGGER dash_op_stored AFTER INSERT ON sync_ops
BEGIN
    INSERT INTO dash_device_heard (author, venue_code, last_ms) VALUES (
        NEW.author,
        CASE WHEN json_extract(NEW.body, '$.kind.type') IN ('record_dose', 'check_in', 'stock_event')
             THEN json_extract(NEW.body, '$.kind.venue') END,
        json_extract(NEW.body, '$.hlc.wall_ms'))
    ON CONFLICT (author) DO UPDATE SET
        last_ms = max(last_ms, excluded.last_ms),
        venue_code = coalesce(excluded.venue_code, venue_code);
END;
