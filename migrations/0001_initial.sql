-- 0001: the first ledger schema.
-- Never edit this file once landed: add 0002_… instead. Dates are ISO-8601 text
-- (YYYY-MM-DD), times HH:MM, instants RFC 3339 with offset. Digit strings (voucher
-- numbers, municipality codes, phones) are TEXT: leading zeros are significant.

CREATE TABLE residents (
    id                  INTEGER PRIMARY KEY,
    municipality_code   TEXT    NOT NULL CHECK (length(municipality_code) = 6),
    voucher_number      TEXT    NOT NULL CHECK (length(voucher_number) = 10),
    name                TEXT    NOT NULL,
    name_kana           TEXT    NOT NULL,
    -- full-width katakana without blanks: the key every way of typing kana folds to
    kana_key            TEXT    NOT NULL,
    birth_date          TEXT    NOT NULL,
    sex                 TEXT    NOT NULL CHECK (sex IN ('male', 'female')),
    postal_code         TEXT    NOT NULL DEFAULT '',
    address             TEXT    NOT NULL,
    district            TEXT    NOT NULL,
    lat                 REAL,
    lon                 REAL,
    phone               TEXT,
    phone_digits        TEXT,
    -- from the intention survey; NULL until it is imported. (Written as ORs: SQLite builds
    -- an ephemeral table per statement for an IN list of three or more, which made every
    -- register insert several times slower.)
    intention           TEXT    CHECK (intention = 'wants' OR intention = 'declines' OR intention = 'undecided'),
    needs_transport     INTEGER NOT NULL DEFAULT 0 CHECK (needs_transport IN (0, 1)),
    anaphylaxis_history INTEGER NOT NULL DEFAULT 0 CHECK (anaphylaxis_history IN (0, 1)),
    survey_answered_at  TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    UNIQUE (municipality_code, voucher_number)
);
CREATE INDEX residents_voucher ON residents (voucher_number);
CREATE INDEX residents_kana ON residents (kana_key);
CREATE INDEX residents_birth ON residents (birth_date);
CREATE INDEX residents_phone ON residents (phone_digits);

CREATE TABLE venues (
    id      INTEGER PRIMARY KEY,
    code    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
    address TEXT NOT NULL,
    lat     REAL NOT NULL,
    lon     REAL NOT NULL
);

CREATE TABLE time_bands (
    id         INTEGER PRIMARY KEY,
    venue_id   INTEGER NOT NULL REFERENCES venues (id),
    date       TEXT    NOT NULL,
    start_time TEXT    NOT NULL,
    end_time   TEXT    NOT NULL CHECK (end_time > start_time),
    capacity   INTEGER NOT NULL CHECK (capacity >= 0),
    UNIQUE (venue_id, date, start_time)
);
CREATE INDEX time_bands_date ON time_bands (date, venue_id);

-- One booking per resident and dose number; a rebooking replaces the band.
CREATE TABLE bookings (
    id           INTEGER PRIMARY KEY,
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    dose_number  INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    time_band_id INTEGER NOT NULL REFERENCES time_bands (id),
    product_code TEXT    NOT NULL,
    booked_at    TEXT    NOT NULL,
    UNIQUE (resident_id, dose_number)
);
CREATE INDEX bookings_band ON bookings (time_band_id);

CREATE TABLE vaccine_lots (
    id           INTEGER PRIMARY KEY,
    product_code TEXT NOT NULL,
    lot_number   TEXT NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 20),
    expiry_date  TEXT,
    UNIQUE (product_code, lot_number)
);

-- Doses are immutable events: a mistaken record is voided, never deleted or edited.
-- No unique (resident, dose) index on purpose: two venues may record the same dose while
-- offline, and the merge must keep both and raise an alert (DESIGN.md, replication rules).
CREATE TABLE dose_records (
    id             INTEGER PRIMARY KEY,
    uid            TEXT    NOT NULL UNIQUE,
    resident_id    INTEGER NOT NULL REFERENCES residents (id),
    dose_number    INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    administered_at TEXT   NOT NULL,
    venue_id       INTEGER NOT NULL REFERENCES venues (id),
    lot_id         INTEGER NOT NULL REFERENCES vaccine_lots (id),
    vaccinator     TEXT    NOT NULL CHECK (length(vaccinator) BETWEEN 1 AND 20),
    injection_site TEXT    NOT NULL DEFAULT '',
    recorded_at    TEXT    NOT NULL,
    voided_at      TEXT,
    void_reason    TEXT,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);
CREATE INDEX dose_records_resident ON dose_records (resident_id, dose_number);
CREATE INDEX dose_records_day ON dose_records (administered_at);

CREATE TABLE inquiries (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    resident_id INTEGER REFERENCES residents (id),
    received_at TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel = 'phone' OR channel = 'counter' OR channel = 'mail' OR channel = 'web'),
    topic       TEXT NOT NULL,
    note        TEXT NOT NULL,
    operator    TEXT NOT NULL
);
CREATE INDEX inquiries_resident ON inquiries (resident_id, received_at);
