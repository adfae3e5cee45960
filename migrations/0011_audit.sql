-- 0011: staff sign-in and the audit trail (issue 15; docs/audit.md, docs/sync-spec.md §5a).
-- Never edit this file once landed: add a new numbered file instead.

-- Staff as HQ registered them (op `define_staff`, last writer wins per code). The PIN and the
-- card secret are kept only as Argon2id PHC strings, so a kiosk checks a sign-in offline.
CREATE TABLE staff (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- NULL for HQ staff
    venue_code TEXT,
    role       TEXT NOT NULL,
    pin_hash   TEXT,
    card_hash  TEXT,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) WITHOUT ROWID;

CREATE INDEX staff_by_venue ON staff (venue_code);

-- Who did what to whose record, where and when (op `audit`). Append-only: the triggers refuse
-- any change or deletion, so an entry once written stays as it was written.
CREATE TABLE audit_log (
    -- the op id (author:counter), or a UUID in a ledger that does not replicate
    uid         TEXT PRIMARY KEY,
    -- the device's replica id; '' in a ledger that does not replicate
    device      TEXT NOT NULL,
    staff_code  TEXT,
    venue_code  TEXT,
    action      TEXT NOT NULL,
    -- the resident's voucher number
    resident    TEXT,
    record      TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    -- local time the device recorded, ISO 8601 with offset
    at          TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX audit_by_resident ON audit_log (resident, at);
CREATE INDEX audit_by_staff ON audit_log (staff_code, at);
CREATE INDEX audit_by_time ON audit_log (at);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
