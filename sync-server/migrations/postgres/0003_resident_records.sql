-- The same column and index as the SQLite store's migration 0004_resident_records.
-- The online lookup of a walk-in from another municipality (docs/sync-spec.md §7b): each op
-- of a resident's record as a desk reads it (the register's fields, a booking, a dose, a
-- check-in, the void of one of those) names the resident here, filled when the op is
-- classified as `scope` is; NULL for every other op. With `scope` (the resident's
-- municipality) it finds one resident's ops through the index, never by a scan of the log.
ALTER TABLE ops ADD COLUMN resident TEXT;
CREATE INDEX ops_resident ON ops (resident, scope) WHERE resident IS NOT NULL;
-- The ops of those kinds stored before this migration are classified again when the server
-- opens the store (as ops without a scope are), which fills their resident. Partial replicas
-- receive none of them until then; their frontiers, already past them, do not move back.
UPDATE ops SET scope = NULL
 WHERE kind IN ('set_resident_fields', 'book', 'record_dose', 'check_in', 'void');
