-- A running balance per venue and lot, kept by triggers as stock events are written and
-- voided, so the venue manager's screen finds the lots that still matter (sealed vials on
-- hand, or a vial opened today or still within its clock) with an index lookup instead of
-- decoding every stock event of the campaign (docs/BENCHMARKS.md, "Dose stock").
-- The sealed count follows the events' counts as vax_domain::stock folds them:
-- received + corrected − transferred out − vials wasted − opened.
CREATE TABLE stock_lot_balance (
    venue_code     TEXT NOT NULL,
    product_code   TEXT NOT NULL,
    lot_number     TEXT NOT NULL,
    sealed_vials   INTEGER NOT NULL DEFAULT 0,
    last_opened_at TEXT, -- the latest `opened` event's time (venue local), not voided
    last_use_by    TEXT, -- the latest in-use clock end of an `opened` event, not voided
    PRIMARY KEY (venue_code, product_code, lot_number)
) WITHOUT ROWID;

CREATE TRIGGER stock_lot_balance_insert AFTER INSERT ON stock_events
WHEN NEW.voided_at IS NULL
BEGIN
    INSERT INTO stock_lot_balance (venue_code, product_code, lot_number) VALUES
        (NEW.venue_code, NEW.product_code, NEW.lot_number)
        ON CONFLICT DO NOTHING;
    UPDATE stock_lot_balance SET
        sealed_vials = sealed_vials + CASE NEW.kind
            WHEN 'received' THEN json_extract(NEW.change, '$.vials')
            WHEN 'corrected' THEN json_extract(NEW.change, '$.vials')
            WHEN 'transferred_out' THEN -json_extract(NEW.change, '$.vials')
            WHEN 'vials_wasted' THEN -json_extract(NEW.change, '$.vials')
            WHEN 'opened' THEN -1
            ELSE 0 END,
        last_opened_at = CASE WHEN NEW.kind = 'opened'
            THEN max(coalesce(last_opened_at, ''), NEW.at) ELSE last_opened_at END,
        last_use_by = CASE WHEN NEW.kind = 'opened'
            THEN max(coalesce(last_use_by, ''), coalesce(json_extract(NEW.change, '$.use_by'), ''))
            ELSE last_use_by END
    WHERE venue_code = NEW.venue_code AND product_code = NEW.product_code
      AND lot_number = NEW.lot_number;
END;

-- A void takes the event's count back; a voided `opened` event's times are recomputed from
-- the lot's other `opened` events (a maximum cannot be taken back).
CREATE TRIGGER stock_lot_balance_void AFTER UPDATE OF voided_at ON stock_events
WHEN OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL
BEGIN
    UPDATE stock_lot_balance SET
        sealed_vials = sealed_vials - CASE OLD.kind
            WHEN 'received' THEN json_extract(OLD.change, '$.vials')
            WHEN 'corrected' THEN json_extract(OLD.change, '$.vials')
            WHEN 'transferred_out' THEN -json_extract(OLD.change, '$.vials')
            WHEN 'vials_wasted' THEN -json_extract(OLD.change, '$.vials')
            WHEN 'opened' THEN -1
            ELSE 0 END
    WHERE venue_code = OLD.venue_code AND product_code = OLD.product_code
      AND lot_number = OLD.lot_number;
    UPDATE stock_lot_balance SET
        last_opened_at = (SELECT max(at) FROM stock_events
            WHERE product_code = OLD.product_code AND lot_number = OLD.lot_number
              AND kind = 'opened' AND venue_code = OLD.venue_code AND voided_at IS NULL),
        last_use_by = (SELECT max(json_extract(change, '$.use_by')) FROM stock_events
            WHERE product_code = OLD.product_code AND lot_number = OLD.lot_number
              AND kind = 'opened' AND venue_code = OLD.venue_code AND voided_at IS NULL)
    WHERE OLD.kind = 'opened' AND venue_code = OLD.venue_code
      AND product_code = OLD.product_code AND lot_number = OLD.lot_number;
END;

-- The balance of every lot already in the ledger.
INSERT INTO stock_lot_balance (venue_code, product_code, lot_number, sealed_vials, last_opened_at, last_use_by)
SELECT venue_code, product_code, lot_number,
       SUM(CASE kind
           WHEN 'received' THEN json_extract(change, '$.vials')
           WHEN 'corrected' THEN json_extract(change, '$.vials')
           WHEN 'transferred_out' THEN -json_extract(change, '$.vials')
           WHEN 'vials_wasted' THEN -json_extract(change, '$.vials')
           WHEN 'opened' THEN -1
           ELSE 0 END),
       MAX(CASE WHEN kind = 'opened' THEN at END),
       MAX(CASE WHEN kind = 'opened' THEN json_extract(change, '$.use_by') END)
FROM stock_events WHERE voided_at IS NULL
GROUP BY venue_code, product_code, lot_number;
