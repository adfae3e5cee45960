-- The op log as an ordinary (rowid) table (issue 18, a faster first sync).
-- 0001 made `ops` a WITHOUT ROWID table: its rows live in an index b-tree, where SQLite keeps
-- at most about 1,000 bytes of a row on a 4 KiB page and moves the rest to an overflow page
-- of its own, so every op setting a resident's register fields (800-1,000 bytes) took three
-- pages, two nearly empty (the 65,000-resident city: 328 MB for 112 MB of ops). A rowid table
-- keeps rows up to 4,061 bytes on their leaf page; (author, counter) stays unique through its
-- index, which every read of the log goes through.
CREATE TABLE ops_0005 (
    author   TEXT NOT NULL,
    counter  INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL,
    scope    TEXT,
    resident TEXT,
    UNIQUE (author, counter)
) STRICT;
INSERT INTO ops_0005 (author, counter, kind, body, scope, resident)
SELECT author, counter, kind, body, scope, resident FROM ops ORDER BY author, counter;
DROP TABLE ops;
ALTER TABLE ops_0005 RENAME TO ops;
CREATE INDEX ops_unclassified ON ops (author, counter) WHERE scope IS NULL;
CREATE INDEX ops_resident ON ops (resident, scope) WHERE resident IS NOT NULL;
