-- 0007: HQ planning (issue 12): the venue's kind, closed bands, and the survey's preferences.
-- Never edit this file once landed: add a new numbered file instead.

-- 集団接種会場 or 医療機関, as the calendar or the HQ screen says; NULL when never said.
ALTER TABLE venues ADD COLUMN kind TEXT
    CHECK (kind IS NULL OR kind = 'mass_site' OR kind = 'clinic');

-- A band HQ closed (or whose venue day HQ cut): it takes no new bookings; the bookings it
-- holds stay until HQ reshuffles them (docs/sync-spec.md, define_time_band).
ALTER TABLE time_bands ADD COLUMN closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1));

-- What the intention survey asked for (docs/import-formats.md). HQ's planning inputs: kept
-- on HQ's ledger only, never replicated. Masks: weekdays Monday = 1 ... Sunday = 64;
-- times of day 午前 = 1, 午後 = 2, 夜 = 4.
ALTER TABLE residents ADD COLUMN preferred_venue TEXT
    CHECK (preferred_venue IS NULL OR length(preferred_venue) BETWEEN 1 AND 10);
ALTER TABLE residents ADD COLUMN preferred_district TEXT
    CHECK (preferred_district IS NULL OR length(preferred_district) BETWEEN 1 AND 50);
ALTER TABLE residents ADD COLUMN avoid_weekdays INTEGER NOT NULL DEFAULT 0
    CHECK (avoid_weekdays BETWEEN 0 AND 127);
ALTER TABLE residents ADD COLUMN avoid_times INTEGER NOT NULL DEFAULT 0
    CHECK (avoid_times BETWEEN 0 AND 7);
ALTER TABLE residents ADD COLUMN underlying_condition INTEGER NOT NULL DEFAULT 0
    CHECK (underlying_condition IN (0, 1));
