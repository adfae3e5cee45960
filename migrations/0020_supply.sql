-- 0020: dose supply per venue day (issue 12; docs/planning.md "Dose supply (deliveries)",
-- docs/sync-spec.md §12). Never edit this file once landed: add a new numbered file instead.

-- HQ's delivery of a venue day (`define_supply`, last writer wins per venue and day): the
-- vials of a product the venue receives for that day. A venue day without a row is not
-- limited; a row with 0 vials takes no booking. Doses are vials times the product's doses
-- per vial, worked out where they are used (the catalogue is code, not data of the ledger).
CREATE TABLE venue_day_supply (
    venue_id     INTEGER NOT NULL REFERENCES venues (id),
    date         TEXT    NOT NULL,
    product_code TEXT    NOT NULL CHECK (length(product_code) BETWEEN 1 AND 200),
    vials        INTEGER NOT NULL CHECK (vials BETWEEN 0 AND 10000),
    PRIMARY KEY (venue_id, date)
);
