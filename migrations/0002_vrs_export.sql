-- 0002: nightly VRS export batches (issue 6; docs/vrs-export.md).
-- Never edit this file once landed: add 0003_… instead.
--
-- A batch is what one export run wrote. Its records keep every field exactly as it was
-- written to the files (already formatted text), so a past batch can be written again byte
-- for byte from the ledger alone, whatever changed since in venues, lots or the product
-- catalogue; the files' SHA-256 prove it. A dose is exported at most once and corrected at
-- most once (PRIMARY KEY (dose_uid, kind)): a re-run finds what is new or voided since by a
-- join.

CREATE TABLE vrs_batches (
    id             INTEGER PRIMARY KEY,
    -- RFC 3339 with offset: when the batch was made (names its files)
    created_at     TEXT    NOT NULL,
    -- the vax-vrs layout version that wrote the files; regeneration refuses any other
    layout_version INTEGER NOT NULL CHECK (layout_version >= 1),
    -- the export options used, as JSON written by vax-vrs
    options        TEXT    NOT NULL,
    -- how many records the batch exported and how many corrections it listed
    exports        INTEGER NOT NULL CHECK (exports >= 0),
    corrections    INTEGER NOT NULL CHECK (corrections >= 0)
);

-- The files of a batch and the hash of their exact bytes.
CREATE TABLE vrs_batch_files (
    batch_id INTEGER NOT NULL REFERENCES vrs_batches (id),
    kind     TEXT    NOT NULL CHECK (kind IN ('ledger', 'doses', 'corrections')),
    name     TEXT    NOT NULL,
    bytes    INTEGER NOT NULL CHECK (bytes >= 0),
    sha256   TEXT    NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (batch_id, kind)
) WITHOUT ROWID;

-- One row per dose record in a batch: kind 'export' (sent to VRS) or 'correction' (sent
-- before, voided since). The text columns hold the values as written to the files.
-- Keyed by the dose alone: a dose is exported once and corrected once, so the table never
-- holds more than twice the dose records, and reading one batch back is a scan of it (a
-- regeneration is rare; a second index would slow every nightly insert).
CREATE TABLE vrs_batch_records (
    batch_id               INTEGER NOT NULL REFERENCES vrs_batches (id),
    kind                   TEXT    NOT NULL CHECK (kind IN ('export', 'correction')),
    -- position in the batch's files
    seq                    INTEGER NOT NULL CHECK (seq >= 0),
    -- dose_records.uid; no foreign key on purpose: dose records are never deleted, and the
    -- check would cost an index look-up for each of a full export's 130,000 rows
    dose_uid               TEXT    NOT NULL,
    -- 自治体コード and 券番号 of the resident's voucher
    municipality_code      TEXT    NOT NULL,
    voucher_number         TEXT    NOT NULL,
    dose_number            INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    -- 登録日時 YYYYMMDDHHMMSS and 接種日 YYYYMMDD, JST
    registered_at          TEXT    NOT NULL,
    administered_on        TEXT    NOT NULL,
    -- 接種自治体コード
    site_municipality_code TEXT    NOT NULL,
    venue_name             TEXT    NOT NULL,
    vaccinator             TEXT    NOT NULL,
    maker_label            TEXT    NOT NULL,
    lot_number             TEXT    NOT NULL,
    -- corrections only: the batch that exported the record, and its void (取消日時
    -- YYYYMMDDHHMMSS JST, 取消理由)
    exported_batch_id      INTEGER REFERENCES vrs_batches (id),
    voided_at              TEXT,
    void_reason            TEXT,
    CHECK ((kind = 'export') = (exported_batch_id IS NULL)),
    CHECK ((kind = 'export') = (voided_at IS NULL)),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    PRIMARY KEY (dose_uid, kind)
) WITHOUT ROWID;
