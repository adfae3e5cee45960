-- 0008: the notices sent to residents about their bookings (issue 12; docs/notices.md).
-- Never edit this file once landed: add a new numbered file instead.
--
-- HQ-local: these tables are not replicated. HQ makes the notices and the call centre works
-- at HQ on the same central ledger, so both see them; a venue never acts on a notice, and a
-- batch of 65,000 letters would otherwise be 130,000 ops in every venue's log.
--
-- A batch is what one `make` wrote: a folder holding the letters PDF(s), the SMS list and
-- the call list. Its rows are written in the same transaction, after the files are complete
-- and renamed into place, so a batch is recorded whole or not at all.

CREATE TABLE notice_batches (
    id         INTEGER PRIMARY KEY,
    -- RFC 3339 with offset: when the batch was made
    created_at TEXT    NOT NULL,
    -- the folder its files were written to, and their names (one per line)
    folder     TEXT    NOT NULL,
    files      TEXT    NOT NULL,
    -- the options used (SMS limit, templates, what happens over the limit), JSON
    options    TEXT    NOT NULL,
    -- letter pages (one per resident), SMS lines and call-list lines
    letters    INTEGER NOT NULL CHECK (letters >= 0),
    sms        INTEGER NOT NULL CHECK (sms >= 0),
    calls      INTEGER NOT NULL CHECK (calls >= 0)
);

-- One row per booking (resident, dose) and channel of a batch, with the venue, day and band
-- as they were told: a later change of the booking is found by comparing with these.
CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES notice_batches (id),
    resident_id   INTEGER NOT NULL REFERENCES residents (id),
    dose_number   INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    kind          TEXT    NOT NULL CHECK (kind = 'first' OR kind = 'change'),
    channel       TEXT    NOT NULL CHECK (channel = 'letter' OR channel = 'sms' OR channel = 'call'),
    venue_code    TEXT    NOT NULL,
    venue_name    TEXT    NOT NULL,
    venue_address TEXT    NOT NULL,
    date          TEXT    NOT NULL,
    start_time    TEXT    NOT NULL,
    end_time      TEXT    NOT NULL,
    -- the number texted or to be called (as written in the list); none for a letter
    phone         TEXT,
    -- the SMS exactly as listed; none for a letter or a call
    message       TEXT,
    sent_at       TEXT    NOT NULL,
    CHECK ((channel = 'letter') = (phone IS NULL)),
    CHECK ((channel = 'sms') = (message IS NOT NULL))
);
CREATE INDEX notices_booking ON notices (resident_id, dose_number, id);
CREATE INDEX notices_batch ON notices (batch_id);
