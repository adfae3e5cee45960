-- 0016: bus rides replicated to the venues (issue 13, docs/sync-spec.md §11).
-- Never edit this file once landed: add a new numbered file instead.

-- The driver HQ assigns to a vehicle (optional column 運転手 of the fleet CSV), shown to the
-- venue with the trip.
ALTER TABLE transport_vehicles ADD COLUMN driver TEXT NOT NULL DEFAULT ''
    CHECK (length(driver) <= 40);

-- HQ's current plan of a venue day as the venue receives it (`define_rides`, last writer
-- wins per venue and day): one row per rider and direction. Written on HQ when it plans and
-- on the venue's devices when the op arrives; other venues keep the op in their log only.
CREATE TABLE transport_rides (
    venue_code   TEXT    NOT NULL,
    date         TEXT    NOT NULL,
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    direction    TEXT    NOT NULL CHECK (direction IN ('to_venue', 'from_venue')),
    vehicle      TEXT    NOT NULL,
    driver       TEXT    NOT NULL DEFAULT '',
    band_start   TEXT    NOT NULL,
    -- HH:MM arrival at the venue (to_venue) or departure from it (from_venue)
    at_venue     TEXT    NOT NULL,
    -- the trip's place in HQ's list, and the rider's stop on it (from 1)
    trip_order   INTEGER NOT NULL,
    stop_order   INTEGER NOT NULL,
    -- HH:MM at the door: pick-up (to_venue) or drop-off (from_venue)
    at_door      TEXT    NOT NULL,
    pickup_point TEXT,
    wheelchair   INTEGER NOT NULL DEFAULT 0 CHECK (wheelchair IN (0, 1)),
    PRIMARY KEY (venue_code, date, resident_id, direction)
);

-- The reception's mark of a ride (`mark_ride`, last writer wins per venue, day, rider and
-- direction): boarded, no-show at the pick-up, or a mistaken mark cleared.
CREATE TABLE transport_ride_marks (
    venue_code  TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    direction   TEXT    NOT NULL CHECK (direction IN ('to_venue', 'from_venue')),
    mark        TEXT    NOT NULL CHECK (mark IN ('boarded', 'no_show', 'cleared')),
    marked_at   TEXT    NOT NULL,
    -- the op that wrote it (its id on every replica), or a local id when not replicating
    uid         TEXT    NOT NULL,
    PRIMARY KEY (venue_code, date, resident_id, direction)
);
