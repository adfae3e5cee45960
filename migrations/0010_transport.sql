-- 0010: bus transport (issue 13): HQ's fleet and pick-up points, each rider's transport
-- needs, and the planned legs of a venue day with every rider's outcome.
-- HQ-local: kept on HQ's ledger only (the venues' share is future replicated work).
-- Never edit this file once landed: add a new numbered file instead.

-- A vehicle of the fleet. vax-routing plans from one garage, so the fleet shares one
-- (the import refuses a fleet with two).
CREATE TABLE transport_vehicles (
    id          TEXT    PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 20),
    seats       INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 100),
    shift_start TEXT    NOT NULL,
    shift_end   TEXT    NOT NULL CHECK (shift_end > shift_start),
    garage_lat  REAL    NOT NULL,
    garage_lon  REAL    NOT NULL
);

-- A named pick-up point (a community hall, a bus stop) for riders not fetched at home.
CREATE TABLE transport_pickup_points (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 10),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    lat  REAL NOT NULL,
    lon  REAL NOT NULL
);

-- What HQ knows of a rider beyond the survey's 送迎 flag: where to fetch them (NULL: at
-- home) and whether they ride in a wheelchair.
CREATE TABLE transport_riders (
    resident_id  INTEGER PRIMARY KEY REFERENCES residents (id),
    pickup_point TEXT    REFERENCES transport_pickup_points (code),
    wheelchair   INTEGER NOT NULL DEFAULT 0 CHECK (wheelchair IN (0, 1))
);

-- One solved problem of a venue day: one band, one direction (and, for the return trip,
-- one observation period). `problem` and `plan` are vax-routing's JSON formats, as planned
-- and announced: a re-plan starts from them to keep announced times.
CREATE TABLE transport_legs (
    id          INTEGER PRIMARY KEY,
    venue_code  TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    band_start  TEXT    NOT NULL,
    band_end    TEXT    NOT NULL,
    direction   TEXT    NOT NULL CHECK (direction = 'to_venue' OR direction = 'from_venue'),
    observation_minutes INTEGER NOT NULL CHECK (observation_minutes >= 0),
    problem     TEXT    NOT NULL,
    plan        TEXT    NOT NULL,
    planned_at  TEXT    NOT NULL,
    UNIQUE (venue_code, date, band_start, direction, observation_minutes)
);

-- Each rider of a leg: on which vehicle, at which stop and when, or why not served.
CREATE TABLE transport_leg_riders (
    leg_id      INTEGER NOT NULL REFERENCES transport_legs (id) ON DELETE CASCADE,
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
CREATE INDEX transport_leg_riders_resident ON transport_leg_riders (resident_id);
