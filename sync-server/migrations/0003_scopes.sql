-- Partial replicas by municipality (docs/sync-spec.md §7b, issue 18).
-- A device's scope: the municipality codes it holds, separated by spaces; '' is the whole
-- ledger (every device enrolled before this migration).
ALTER TABLE enrollment_codes ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN scope TEXT NOT NULL DEFAULT '';
-- Which partial replicas an op goes to: '*' every one, a municipality code its own, '' only
-- whole replicas (a resident of unknown municipality); NULL not classified yet (ops stored
-- before this migration: the server classifies them when it opens the store).
ALTER TABLE ops ADD COLUMN scope TEXT;
CREATE INDEX ops_unclassified ON ops (author, counter) WHERE scope IS NULL;
