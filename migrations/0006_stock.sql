-- 0006: dose stock at the venue (issue 14): stock events, doses tied to their vial, stock-rule
-- overrides, the standby list and its calls.
-- Never edit this file once landed: add a new numbered file instead.

-- Stock events are immutable, like doses: projected from the op log (or written with their op
-- by the local desk), voided with a reason, never deleted. `change` is the event as JSON (the
-- StockChange of vax_domain::stock, the same text the op carries); `kind` is its tag, for
-- reports that count by kind without reading the JSON.
CREATE TABLE stock_events (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    venue_code   TEXT NOT NULL,
    product_code TEXT NOT NULL,
    lot_number   TEXT NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 200),
    at           TEXT NOT NULL, -- venue local time, YYYY-MM-DDTHH:MM:SS
    -- ORs, not IN (...): SQLite builds an ephemeral b-tree per row for IN with 3+ values.
    kind         TEXT NOT NULL CHECK (kind = 'received' OR kind = 'thawed' OR kind = 'opened'
                     OR kind = 'vials_wasted' OR kind = 'doses_wasted' OR kind = 'transferred_out'
                     OR kind = 'corrected' OR kind = 'quarantined' OR kind = 'day_closed'),
    change       TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    voided_at    TEXT,
    void_reason  TEXT,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);
CREATE INDEX stock_events_venue ON stock_events (venue_code, at);
CREATE INDEX stock_events_lot ON stock_events (product_code, lot_number, kind);

-- The vial (the uid of its `opened` stock event) a dose was drawn from. NULL for doses
-- recorded before vials were tracked.
ALTER TABLE dose_records ADD COLUMN vial_uid TEXT;
-- Covers the stock read (doses counted per lot and vial at a venue) without touching the table.
CREATE INDEX dose_records_vial ON dose_records (venue_id, lot_id, vial_uid, voided_at, administered_at);

-- A dose given against a stock rule on a doctor's decision (0003's dose_overrides holds the
-- dosing rules; its CHECK lists them, so stock rules get their own table).
CREATE TABLE dose_stock_overrides (
    dose_uid TEXT NOT NULL REFERENCES dose_records (uid),
    rule     TEXT NOT NULL CHECK (rule = 'vial_past_clock' OR rule = 'lot_quarantined'
                                  OR rule = 'lot_expired' OR rule = 'no_vial_left'),
    doctor   TEXT NOT NULL CHECK (length(doctor) BETWEEN 1 AND 20),
    reason   TEXT NOT NULL CHECK (length(reason) >= 1),
    PRIMARY KEY (dose_uid, rule)
);

-- The standby list: residents who agreed to come at short notice to use a leftover dose (a
-- survey column or the call centre; replicated as the resident field `standby`).
ALTER TABLE residents ADD COLUMN standby INTEGER NOT NULL DEFAULT 0 CHECK (standby = 0 OR standby = 1);
CREATE INDEX residents_standby ON residents (standby) WHERE standby = 1;

-- Each call the venue manager made to a standby resident (grow-only, replicated).
CREATE TABLE standby_calls (
    id          INTEGER PRIMARY KEY,
    uid         TEXT    NOT NULL UNIQUE,
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    venue_code  TEXT    NOT NULL,
    called_at   TEXT    NOT NULL, -- venue local time, YYYY-MM-DDTHH:MM:SS
    outcome     TEXT    NOT NULL CHECK (outcome = 'not_reached' OR outcome = 'declined' OR outcome = 'coming')
);
CREATE INDEX standby_calls_venue ON standby_calls (venue_code, called_at);
