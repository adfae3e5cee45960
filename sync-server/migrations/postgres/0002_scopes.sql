-- Partial replicas by municipality (docs/sync-spec.md §7b, issue 18); the same columns as
-- the SQLite store's migration 0003. A scope is municipality codes separated by spaces, ''
-- the whole ledger. An op's scope: '*' every replica, a municipality code, '' whole replicas
-- only, NULL not classified yet (the server classifies such ops when it opens the store).
ALTER TABLE enrollment_codes ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE ops ADD COLUMN scope TEXT;
CREATE INDEX ops_unclassified ON ops (author, counter) WHERE scope IS NULL;
