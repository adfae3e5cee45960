-- 0003: what a venue kiosk records at the desk and the booth.
-- Never edit this file once landed: add a new numbered file instead.

-- The installation's own settings: its enrollment (venue, role, campaign municipality).
CREATE TABLE device_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Check-ins are events: a mistaken one is cancelled with a reason, never deleted.
CREATE TABLE check_ins (
    id            INTEGER PRIMARY KEY,
    uid           TEXT    NOT NULL UNIQUE,
    resident_id   INTEGER NOT NULL REFERENCES residents (id),
    venue_id      INTEGER NOT NULL REFERENCES venues (id),
    dose_number   INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    checked_in_at TEXT    NOT NULL,
    cancelled_at  TEXT,
    cancel_reason TEXT,
    CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL))
);
CREATE INDEX check_ins_day ON check_ins (venue_id, checked_in_at);
CREATE INDEX check_ins_resident ON check_ins (resident_id, checked_in_at);

-- Lots in use at a venue on a day: the booth picks from these.
CREATE TABLE lot_openings (
    lot_id   INTEGER NOT NULL REFERENCES vaccine_lots (id),
    venue_id INTEGER NOT NULL REFERENCES venues (id),
    date     TEXT    NOT NULL,
    PRIMARY KEY (venue_id, date, lot_id)
);

-- A dose recorded against a rule (a second dose N, an interval not reached) on a doctor's
-- decision. The override is an audit record beside the dose, never a silent exception.
CREATE TABLE dose_overrides (
    dose_id INTEGER NOT NULL REFERENCES dose_records (id),
    rule    TEXT    NOT NULL CHECK (rule IN ('duplicate_dose', 'interval_not_reached', 'dose_out_of_order')),
    doctor  TEXT    NOT NULL CHECK (length(doctor) BETWEEN 1 AND 20),
    reason  TEXT    NOT NULL CHECK (length(reason) >= 1),
    PRIMARY KEY (dose_id, rule)
);

CREATE INDEX dose_records_venue_day ON dose_records (venue_id, administered_at);
