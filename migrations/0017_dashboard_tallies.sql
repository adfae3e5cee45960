-- 0017: the dashboards read counts kept at write time (issue 16; docs/call-centre.md,
-- docs/BENCHMARKS.md). Never edit this file once landed: add a new numbered file instead.
--
-- Triggers on the tables the op-apply path writes (bookings, dose_records, check_ins,
-- residents, inquiries) keep the tallies, so ops replicated from other devices count as
-- local writes do, and a void, a cancellation, a moved or withdrawn booking takes its count
-- back. The queries these replace remain in vax_ledger (`*_by_scan`) as the bench's
-- baseline and the tests' reference.

-- Per venue and day. `booked` and `booked_dosed` count bookings by their band's day and
-- venue; `booked_dosed` are those whose (resident, dose number) has a valid dose anywhere,
-- so a past day's no-shows are `booked - booked_dosed`. Check-ins and doses count by the
-- Japan-time day they happened (the first ten characters of the RFC 3339 time).
CREATE TABLE dash_day_venue (
    day          TEXT    NOT NULL,
    venue_id     INTEGER NOT NULL,
    booked       INTEGER NOT NULL DEFAULT 0,
    booked_dosed INTEGER NOT NULL DEFAULT 0,
    checked_in   INTEGER NOT NULL DEFAULT 0,
    doses        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, venue_id)
) WITHOUT ROWID;

-- Residents per birth date and district (the age band depends on the day asked about), and
-- how many of them hold a valid dose 1 and dose 2.
CREATE TABLE dash_coverage (
    birth_date TEXT    NOT NULL,
    district   TEXT    NOT NULL,
    residents  INTEGER NOT NULL DEFAULT 0,
    first      INTEGER NOT NULL DEFAULT 0,
    second     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (birth_date, district)
) WITHOUT ROWID;

-- Calls per Japan-time day and topic (the raw topic text, as inquiry_counts groups it).
CREATE TABLE dash_inquiry_day (
    day   TEXT    NOT NULL,
    topic TEXT    NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, topic)
) WITHOUT ROWID;

-- The last op held from each device (author), by the author's clock when it wrote it, and the
-- venue its latest check-in, dose or stock op named: the dashboard's "last heard from the
-- venue" (sync freshness). Kept as ops are stored, received or written here.
CREATE TABLE dash_device_heard (
    author     TEXT    PRIMARY KEY,
    venue_code TEXT,
    last_ms    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER dash_op_stored AFTER INSERT ON sync_ops
BEGIN
    INSERT INTO dash_device_heard (author, venue_code, last_ms) VALUES (
        NEW.author,
        CASE WHEN json_extract(NEW.body, '$.kind.type') IN ('record_dose', 'check_in', 'stock_event')
             THEN json_extract(NEW.body, '$.kind.venue') END,
        json_extract(NEW.body, '$.hlc.wall_ms'))
    ON CONFLICT (author) DO UPDATE SET
        last_ms = max(last_ms, excluded.last_ms),
        venue_code = coalesce(excluded.venue_code, venue_code);
END;

-- Bookings: a new one counts in its band's day and venue; a move (the upsert of a rebooking)
-- takes it out of the old band's cell and into the new one; a withdrawal takes it out.
CREATE TRIGGER dash_booking_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO dash_day_venue (day, venue_id)
        SELECT date, venue_id FROM time_bands WHERE id = NEW.time_band_id
        ON CONFLICT DO NOTHING;
    UPDATE dash_day_venue SET
        booked = booked + 1,
        booked_dosed = booked_dosed + EXISTS (SELECT 1 FROM dose_records d
            WHERE d.resident_id = NEW.resident_id AND d.dose_number = NEW.dose_number
              AND d.voided_at IS NULL)
    WHERE (day, venue_id) = (SELECT date, venue_id FROM time_bands WHERE id = NEW.time_band_id);
END;

CREATE TRIGGER dash_booking_delete AFTER DELETE ON bookings
BEGIN
    UPDATE dash_day_venue SET
        booked = booked - 1,
        booked_dosed = booked_dosed - EXISTS (SELECT 1 FROM dose_records d
            WHERE d.resident_id = OLD.resident_id AND d.dose_number = OLD.dose_number
              AND d.voided_at IS NULL)
    WHERE (day, venue_id) = (SELECT date, venue_id FROM time_bands WHERE id = OLD.time_band_id);
END;

CREATE TRIGGER dash_booking_move AFTER UPDATE OF time_band_id, resident_id, dose_number ON bookings
BEGIN
    UPDATE dash_day_venue SET
        booked = booked - 1,
        booked_dosed = booked_dosed - EXISTS (SELECT 1 FROM dose_records d
            WHERE d.resident_id = OLD.resident_id AND d.dose_number = OLD.dose_number
              AND d.voided_at IS NULL)
    WHERE (day, venue_id) = (SELECT date, venue_id FROM time_bands WHERE id = OLD.time_band_id);
    INSERT INTO dash_day_venue (day, venue_id)
        SELECT date, venue_id FROM time_bands WHERE id = NEW.time_band_id
        ON CONFLICT DO NOTHING;
    UPDATE dash_day_venue SET
        booked = booked + 1,
        booked_dosed = booked_dosed + EXISTS (SELECT 1 FROM dose_records d
            WHERE d.resident_id = NEW.resident_id AND d.dose_number = NEW.dose_number
              AND d.voided_at IS NULL)
    WHERE (day, venue_id) = (SELECT date, venue_id FROM time_bands WHERE id = NEW.time_band_id);
END;

-- Doses: a valid dose counts on its day and venue; the first valid dose of a (resident, dose
-- number) marks that booking as given and counts in the resident's coverage cell. A void
-- takes the dose back, and, when it was the last valid one, the mark and the coverage too.
CREATE TRIGGER dash_dose_insert AFTER INSERT ON dose_records
WHEN NEW.voided_at IS NULL
BEGIN
    INSERT INTO dash_day_venue (day, venue_id) VALUES (substr(NEW.administered_at, 1, 10), NEW.venue_id)
        ON CONFLICT DO NOTHING;
    UPDATE dash_day_venue SET doses = doses + 1
    WHERE day = substr(NEW.administered_at, 1, 10) AND venue_id = NEW.venue_id;
    UPDATE dash_day_venue SET booked_dosed = booked_dosed + 1
    WHERE (day, venue_id) = (SELECT tb.date, tb.venue_id FROM bookings b
            JOIN time_bands tb ON tb.id = b.time_band_id
            WHERE b.resident_id = NEW.resident_id AND b.dose_number = NEW.dose_number)
      AND (SELECT COUNT(*) FROM dose_records d WHERE d.resident_id = NEW.resident_id
            AND d.dose_number = NEW.dose_number AND d.voided_at IS NULL) = 1;
    UPDATE dash_coverage SET
        first = first + (NEW.dose_number = 1),
        second = second + (NEW.dose_number = 2)
    WHERE NEW.dose_number IN (1, 2)
      AND (birth_date, district) = (SELECT birth_date, district FROM residents WHERE id = NEW.resident_id)
      AND (SELECT COUNT(*) FROM dose_records d WHERE d.resident_id = NEW.resident_id
            AND d.dose_number = NEW.dose_number AND d.voided_at IS NULL) = 1;
END;

CREATE TRIGGER dash_dose_void AFTER UPDATE OF voided_at ON dose_records
WHEN OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL
BEGIN
    UPDATE dash_day_venue SET doses = doses - 1
    WHERE day = substr(OLD.administered_at, 1, 10) AND venue_id = OLD.venue_id;
    UPDATE dash_day_venue SET booked_dosed = booked_dosed - 1
    WHERE (day, venue_id) = (SELECT tb.date, tb.venue_id FROM bookings b
            JOIN time_bands tb ON tb.id = b.time_band_id
            WHERE b.resident_id = OLD.resident_id AND b.dose_number = OLD.dose_number)
      AND NOT EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = OLD.resident_id
            AND d.dose_number = OLD.dose_number AND d.voided_at IS NULL);
    UPDATE dash_coverage SET
        first = first - (OLD.dose_number = 1),
        second = second - (OLD.dose_number = 2)
    WHERE OLD.dose_number IN (1, 2)
      AND (birth_date, district) = (SELECT birth_date, district FROM residents WHERE id = OLD.resident_id)
      AND NOT EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = OLD.resident_id
            AND d.dose_number = OLD.dose_number AND d.voided_at IS NULL);
END;

-- Check-ins: counted on their day and venue until cancelled.
CREATE TRIGGER dash_check_in_insert AFTER INSERT ON check_ins
WHEN NEW.cancelled_at IS NULL
BEGIN
    INSERT INTO dash_day_venue (day, venue_id) VALUES (substr(NEW.checked_in_at, 1, 10), NEW.venue_id)
        ON CONFLICT DO NOTHING;
    UPDATE dash_day_venue SET checked_in = checked_in + 1
    WHERE day = substr(NEW.checked_in_at, 1, 10) AND venue_id = NEW.venue_id;
END;

CREATE TRIGGER dash_check_in_cancel AFTER UPDATE OF cancelled_at ON check_ins
WHEN OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL
BEGIN
    UPDATE dash_day_venue SET checked_in = checked_in - 1
    WHERE day = substr(OLD.checked_in_at, 1, 10) AND venue_id = OLD.venue_id;
END;

-- Residents: counted in their (birth date, district) cell with the doses they hold; a
-- register correction of either moves them to the new cell.
CREATE TRIGGER dash_resident_insert AFTER INSERT ON residents
BEGIN
    INSERT INTO dash_coverage (birth_date, district) VALUES (NEW.birth_date, NEW.district)
        ON CONFLICT DO NOTHING;
    UPDATE dash_coverage SET
        residents = residents + 1,
        first = first + EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = NEW.id
            AND d.dose_number = 1 AND d.voided_at IS NULL),
        second = second + EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = NEW.id
            AND d.dose_number = 2 AND d.voided_at IS NULL)
    WHERE birth_date = NEW.birth_date AND district = NEW.district;
END;

CREATE TRIGGER dash_resident_move AFTER UPDATE OF birth_date, district ON residents
WHEN OLD.birth_date IS NOT NEW.birth_date OR OLD.district IS NOT NEW.district
BEGIN
    UPDATE dash_coverage SET
        residents = residents - 1,
        first = first - EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = OLD.id
            AND d.dose_number = 1 AND d.voided_at IS NULL),
        second = second - EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = OLD.id
            AND d.dose_number = 2 AND d.voided_at IS NULL)
    WHERE birth_date = OLD.birth_date AND district = OLD.district;
    INSERT INTO dash_coverage (birth_date, district) VALUES (NEW.birth_date, NEW.district)
        ON CONFLICT DO NOTHING;
    UPDATE dash_coverage SET
        residents = residents + 1,
        first = first + EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = NEW.id
            AND d.dose_number = 1 AND d.voided_at IS NULL),
        second = second + EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = NEW.id
            AND d.dose_number = 2 AND d.voided_at IS NULL)
    WHERE birth_date = NEW.birth_date AND district = NEW.district;
END;

-- Calls: every inquiry row is a call (a call back that completes a follow-up too).
CREATE TRIGGER dash_inquiry_insert AFTER INSERT ON inquiries
BEGIN
    INSERT INTO dash_inquiry_day (day, topic) VALUES (substr(NEW.received_at, 1, 10), NEW.topic)
        ON CONFLICT DO NOTHING;
    UPDATE dash_inquiry_day SET calls = calls + 1
    WHERE day = substr(NEW.received_at, 1, 10) AND topic = NEW.topic;
END;

-- The tallies of everything already in the ledger.
INSERT INTO dash_day_venue (day, venue_id, booked, booked_dosed)
SELECT tb.date, tb.venue_id, COUNT(*),
       SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = b.resident_id
                     AND d.dose_number = b.dose_number AND d.voided_at IS NULL))
FROM bookings b JOIN time_bands tb ON tb.id = b.time_band_id
GROUP BY tb.date, tb.venue_id;

INSERT INTO dash_day_venue (day, venue_id, checked_in)
SELECT substr(checked_in_at, 1, 10), venue_id, COUNT(*) FROM check_ins
WHERE cancelled_at IS NULL GROUP BY 1, 2
ON CONFLICT (day, venue_id) DO UPDATE SET checked_in = excluded.checked_in;

INSERT INTO dash_day_venue (day, venue_id, doses)
SELECT substr(administered_at, 1, 10), venue_id, COUNT(*) FROM dose_records
WHERE voided_at IS NULL GROUP BY 1, 2
ON CONFLICT (day, venue_id) DO UPDATE SET doses = excluded.doses;

INSERT INTO dash_coverage (birth_date, district, residents, first, second)
SELECT r.birth_date, r.district, COUNT(*),
       SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                     AND d.dose_number = 1 AND d.voided_at IS NULL)),
       SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                     AND d.dose_number = 2 AND d.voided_at IS NULL))
FROM residents r GROUP BY r.birth_date, r.district;

INSERT INTO dash_inquiry_day (day, topic, calls)
SELECT substr(received_at, 1, 10), topic, COUNT(*) FROM inquiries GROUP BY 1, 2;

INSERT INTO dash_device_heard (author, venue_code, last_ms)
SELECT o.author,
       (SELECT json_extract(v.body, '$.kind.venue') FROM sync_ops v
        WHERE v.author = o.author
          AND json_extract(v.body, '$.kind.type') IN ('record_dose', 'check_in', 'stock_event')
        ORDER BY v.counter DESC LIMIT 1),
       MAX(json_extract(o.body, '$.hlc.wall_ms'))
FROM sync_ops o GROUP BY o.author;

-- The call centre's history page reads a resident's bus rides (pick-up time, point, vehicle,
-- the reception's mark) by resident.
CREATE INDEX transport_rides_resident ON transport_rides (resident_id, date);
