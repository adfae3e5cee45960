-- 0015: cancellation notices (issue 12; docs/notices.md). A booking the resident was told
-- about and that is now cancelled (withdrawn, venue day cut, no place left by a reshuffle)
-- is told once more: kind 'cancel', with the reason told.
-- Never edit this file once landed: add a new numbered file instead.
--
-- SQLite cannot change a CHECK constraint in place: the table is copied into its new shape
-- (same columns, plus `reason`), the rows moved over, and the old one dropped. Nothing
-- references `notices`, so the copy keeps every relation.

CREATE TABLE notices_0015 (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES notice_batches (id),
    resident_id   INTEGER NOT NULL REFERENCES residents (id),
    dose_number   INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    kind          TEXT    NOT NULL CHECK (kind = 'first' OR kind = 'change' OR kind = 'cancel'),
    channel       TEXT    NOT NULL CHECK (channel = 'letter' OR channel = 'sms' OR channel = 'call'),
    -- for a cancellation: the booking that was cancelled, as the last notice told it
    venue_code    TEXT    NOT NULL,
    venue_name    TEXT    NOT NULL,
    venue_address TEXT    NOT NULL,
    date          TEXT    NOT NULL,
    start_time    TEXT    NOT NULL,
    end_time      TEXT    NOT NULL,
    phone         TEXT,
    message       TEXT,
    sent_at       TEXT    NOT NULL,
    -- why the booking was cancelled (vax_domain::notice::CancelReason code); only a cancellation
    reason        TEXT,
    CHECK ((channel = 'letter') = (phone IS NULL)),
    CHECK ((channel = 'sms') = (message IS NOT NULL)),
    CHECK ((kind = 'cancel') = (reason IS NOT NULL))
);
INSERT INTO notices_0015 (id, batch_id, resident_id, dose_number, kind, channel, venue_code,
        venue_name, venue_address, date, start_time, end_time, phone, message, sent_at)
    SELECT id, batch_id, resident_id, dose_number, kind, channel, venue_code,
        venue_name, venue_address, date, start_time, end_time, phone, message, sent_at
    FROM notices;
DROP TABLE notices;
ALTER TABLE notices_0015 RENAME TO notices;
CREATE INDEX notices_booking ON notices (resident_id, dose_number, id);
CREATE INDEX notices_batch ON notices (batch_id);
