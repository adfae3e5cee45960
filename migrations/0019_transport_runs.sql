-- 0020: a vehicle may make two runs within one band's window (issue 13; docs/transport.md
-- "Two runs per band"). A leg (one band, one direction, one observation period) is now
-- stored as one or more runs, each one vax-routing problem and plan: run 1 from the garage,
-- run 2 with the vehicles that are free again (at the venue, or back at the garage).
-- Never edit this file once landed: add a new numbered file instead.
--
-- SQLite cannot change a UNIQUE constraint in place: both tables are copied into their new
-- shape and the old ones dropped. The riders' table is copied too, because dropping
-- `transport_legs` with foreign keys on would delete its riders (ON DELETE CASCADE).

CREATE TABLE transport_legs_0020 (
    id          INTEGER PRIMARY KEY,
    venue_code  TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    band_start  TEXT    NOT NULL,
    band_end    TEXT    NOT NULL,
    direction   TEXT    NOT NULL CHECK (direction = 'to_venue' OR direction = 'from_venue'),
    observation_minutes INTEGER NOT NULL CHECK (observation_minutes >= 0),
    -- 1: the vehicles' first run of the leg; 2: a second run by vehicles free again in time
    run         INTEGER NOT NULL DEFAULT 1 CHECK (run >= 1),
    problem     TEXT    NOT NULL,
    plan        TEXT    NOT NULL,
    planned_at  TEXT    NOT NULL,
    UNIQUE (venue_code, date, band_start, direction, observation_minutes, run)
);
INSERT INTO transport_legs_0020 (id, venue_code, date, band_start, band_end, direction,
        observation_minutes, run, problem, plan, planned_at)
    SELECT id, venue_code, date, band_start, band_end, direction, observation_minutes, 1,
        problem, plan, planned_at
    FROM transport_legs;

CREATE TABLE transport_leg_riders_0020 (
    leg_id      INTEGER NOT NULL REFERENCES transport_legs_0020 (id) ON DELETE CASCADE,
    rider       TEXT    NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    vehicle     TEXT,
    stop_order  INTEGER,
    -- HH:MM at the door: pick-up (to the venue) or drop-off (return trip)
    at_door     TEXT,
    -- HH:MM at the venue: arrival (to the venue) or departure (return trip)
    at_venue    TEXT,
    unserved    TEXT,
    CHECK ((vehicle IS NULL) = (unserved IS NOT NULL)),
    PRIMARY KEY (leg_id, rider)
);
INSERT INTO transport_leg_riders_0020 (leg_id, rider, resident_id, vehicle, stop_order,
        at_door, at_venue, unserved)
    SELECT leg_id, rider, resident_id, vehicle, stop_order, at_door, at_venue, unserved
    FROM transport_leg_riders;

DROP TABLE transport_leg_riders;
DROP TABLE transport_legs;
ALTER TABLE transport_legs_0020 RENAME TO transport_legs;
ALTER TABLE transport_leg_riders_0020 RENAME TO transport_leg_riders;
CREATE INDEX transport_leg_riders_resident ON transport_leg_riders (resident_id);
